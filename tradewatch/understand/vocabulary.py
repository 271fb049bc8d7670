"""The vocabulary the rules and extractors read: countries and products, in English and Chinese.

Countries are ISO alpha-2 codes (and EU) with the names, leaders, ministries and companies that
stand for them; products are canonical names with their English phrases and a Chinese regex, and
UMBRELLAS says which cover others. Also here: the cues around a country mention that make it an
actor, a target or context, dotted abbreviations rewritten before matching, and the product a
Federal Register trade-remedy title names. Pure data, no I/O; the rules themselves are in `lexicon`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

I = re.IGNORECASE

# --- Countries: ISO alpha-2 (and EU) with the names, people and bodies that stand for them. ------
# Phrases are matched word by word, case-insensitively; a phrase starting with "=" is matched with
# its case as written (US, EU, Xi). `names` are neutral mentions; `agents` (leaders, ministries)
# lean to acting; `orgs` (companies) are only ever targets. `zh` is a regular expression.
@dataclass(frozen=True)
class Country:
    code: str
    names: tuple[str, ...]
    agents: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    zh: str = ""


COUNTRIES: tuple[Country, ...] = (
    Country("US", ("=US", "=USA", "united states", "america", "american", "americans", "washington"),
            ("trump", "biden", "white house", "=USTR", "=BIS", "=CBP", "=OFAC", "=Commerce",
             "bureau of industry and security", "commerce department", "department of commerce",
             "federal register", "lutnick", "greer", "bessent", "pentagon"), (),
            r"美国|美方|特朗普|川普|拜登|白宫|华盛顿|(?<=[对输自赴涉中向与和将])美(?![元洲容食丽术味])|^美(?=[对商政总贸财国方企])"),
    Country("CN", ("china", "chinese", "beijing", "=PRC", "people's republic of china", "sino"),
            ("xi jinping", "=Xi", "=MOFCOM", "ministry of commerce", "commerce ministry",
             "customs tariff commission", "tariff commission", "state council",
             "general administration of customs", "ministry of transport"),
            ("huawei", "=ZTE", "=SMIC", "=CXMT", "=YMTC", "hikvision", "changxin"),
            r"中华人民共和国|中国|中方|我国|北京|商务部|海关总署|国务院|税则委员会|税委会|习近平|(?<=对)华|中(?=美)|大陆|陆(?=商务部|方)|华为"),
    Country("EU", ("=EU", "european union", "europe", "european", "brussels"),
            ("european commission", "=EC", "von der leyen", "sefcovic", "šefčovič"), (), r"欧盟|欧方|欧洲|欧委会"),
    Country("CA", ("canada", "canadian", "canadians", "ottawa"), ("carney", "trudeau"), (), r"加拿大|加方"),
    Country("MX", ("mexico", "mexican", "mexicans", "=MX"), ("sheinbaum",), (), r"墨西哥"),
    Country("IN", ("india", "indian", "new delhi"), ("modi",), (), r"印度"),
    Country("RU", ("russia", "russian", "moscow", "kremlin"), ("putin",), (), r"俄罗斯|俄方"),
    Country("JP", ("japan", "japanese", "tokyo"), (), (), r"日本|日方"),
    Country("KP", ("north korea", "north korean", "pyongyang"), (), (), r"朝鲜"),
    Country("KR", ("south korea", "south korean", "korea", "korean", "seoul"), (),
            ("samsung", "hanwha", "sk hynix"), r"韩国|韩方"),
    Country("GB", ("=UK", "united kingdom", "britain", "british", "london"), (), (), r"英国"),
    Country("DE", ("germany", "german", "berlin"), (), (), r"德国"),
    Country("FR", ("france", "french", "paris"), (), (), r"法国"),
    Country("IT", ("italy", "italian", "rome"), (), (), r"意大利"),
    Country("ES", ("spain", "spanish", "madrid"), (), (), r"西班牙"),
    Country("NL", ("netherlands", "dutch", "the hague"), (), ("asml",), r"荷兰"),
    Country("TW", ("taiwan", "taiwanese", "taipei"), (), ("tsmc",), r"台湾"),
    Country("HK", ("hong kong",), (), (), r"香港"),
    Country("MO", ("macau", "macao"), (), (), r"澳门"),
    Country("VN", ("vietnam", "vietnamese", "hanoi"), (), (), r"越南"),
    Country("TH", ("thailand", "thai", "bangkok"), (), (), r"泰国"),
    Country("MY", ("malaysia", "malaysian"), (), (), r"马来西亚"),
    Country("ID", ("indonesia", "indonesian", "jakarta"), (), (), r"印度尼西亚|印尼"),
    Country("PH", ("philippines", "philippine", "filipino", "manila"), (), (), r"菲律宾"),
    Country("SG", ("singapore",), (), (), r"新加坡"),
    Country("AU", ("australia", "australian", "canberra"), (), (), r"澳大利亚|澳洲"),
    Country("NZ", ("new zealand",), (), (), r"新西兰"),
    Country("BR", ("brazil", "brazilian", "brasilia"), ("lula",), (), r"巴西"),
    Country("AR", ("argentina", "argentine"), (), (), r"阿根廷"),
    Country("CL", ("chile", "chilean"), (), (), r"智利"),
    Country("CO", ("colombia", "colombian"), (), (), r"哥伦比亚"),
    Country("VE", ("venezuela", "venezuelan"), (), (), r"委内瑞拉"),
    Country("TR", ("turkey", "turkish", "türkiye", "turkiye", "ankara"), (), (), r"土耳其"),
    Country("SA", ("saudi", "saudi arabia"), (), (), r"沙特"),
    Country("AE", ("=UAE", "united arab emirates", "emirati"), (), (), r"阿联酋"),
    Country("IR", ("iran", "iranian", "tehran"), (), (), r"伊朗"),
    Country("IL", ("israel", "israeli"), (), (), r"以色列"),
    Country("ZA", ("south africa", "south african"), (), (), r"南非"),
    Country("KE", ("kenya", "kenyan"), (), (), r"肯尼亚"),
    Country("PK", ("pakistan", "pakistani"), (), (), r"巴基斯坦"),
    Country("BD", ("bangladesh",), (), (), r"孟加拉"),
    Country("KH", ("cambodia", "cambodian"), (), (), r"柬埔寨"),
    Country("CH", ("switzerland", "swiss"), (), (), r"瑞士"),
    Country("NO", ("norway", "norwegian"), (), (), r"挪威"),
    Country("SE", ("sweden", "swedish"), (), (), r"瑞典"),
    Country("PL", ("poland", "polish"), (), (), r"波兰"),
    Country("UA", ("ukraine", "ukrainian"), (), (), r"乌克兰"),
    Country("BY", ("belarus",), (), (), r"白俄罗斯"),
)
# Abbreviations written with dots, rewritten before matching so that "U.S." is one word.
ABBREVIATIONS = ((re.compile(r"\bU\.S\.A?\.?(?=\W|$)"), "US"), (re.compile(r"\bU\.K\.?(?=\W|$)"), "UK"),
                 (re.compile(r"\bE\.U\.?(?=\W|$)"), "EU"))
# Words before a mention that make it a target (English) or context (neither actor nor target).
TARGET_CUES = re.compile(r"(?:\b(?:on|against|to|from|at|targeting|toward|towards|into|of|with|for)\s+(?:the\s+)?"
                         r"(?:[\w$.,-]+\s+){0,3})$", I)
CONTEXT_CUES = re.compile(r"(?:\b(?:over|amid|after|despite|as|while|ahead of|in response to|before|"
                          r"following|like|than|by)\s+(?:[\w'’-]+\s+){0,2})$", I)
COORDINATION = re.compile(r"^\s*(?:and|&|,|-|–|—|/)\s*$", I)
TARGET_CUES_ZH = re.compile(r"(?:对|向|自|针对|原产于|输往|对于|从|输|进口|出口)[^，。；：:\s]{0,6}$")
COORDINATION_ZH = re.compile(r"^(?:、|和|与|及|同|)$")
# "India hit with …", "Huawei added to …": a passive verb after a mention makes it the target.
PASSIVE_AFTER = re.compile(r"^(?:'s)?\s*(?:[\w-]+\s+){0,2}?(?:is |are |was |were |gets? |got |being )?"
                           r"(?:hit|slapped|targeted|struck|penali[sz]ed|added|placed|put|blacklisted|listed)\b"
                           r"(?!\s+back)", I)
OWNER_AFTER = re.compile(r"^(?:'s)?\s*(?:[\w-]+\s+){0,2}?(?:entity list|blacklist|tariffs?|duties|export controls?|"
                         r"trade blacklist|control list)\b", I)
GOODS_AFTER = re.compile(r"^(?:'s|’s)?\s*(?:[\w-]+\s+){0,2}?(?:imports?|goods|products|companies|firms|"
                         r"entities|vehicles|evs|cars|ships|vessels|items|affiliates|subsidiaries)\b", I)


# --- Products and sectors: canonical name, English phrases (as for countries), Chinese regex. ---
PRODUCTS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("steel", ("steel",), r"钢铁|钢材|钢"),
    ("aluminium", ("aluminium", "aluminum"), r"铝"),
    ("copper", ("copper",), r"铜"),
    ("rare earths", ("rare earth", "rare earths"), r"稀土"),
    ("gallium", ("gallium",), r"镓"),
    ("germanium", ("germanium",), r"锗"),
    ("antimony", ("antimony",), r"锑"),
    ("graphite", ("graphite",), r"石墨"),
    ("tungsten", ("tungsten",), r"钨"),
    ("tellurium", ("tellurium",), r"碲"),
    ("bismuth", ("bismuth",), r"铋"),
    ("molybdenum", ("molybdenum",), r"钼"),
    ("indium", ("indium",), r"铟"),
    ("lithium", ("lithium",), r"锂"),
    ("superhard materials", ("superhard material", "superhard materials"), r"超硬材料"),
    ("critical minerals", ("critical mineral", "critical minerals", "minerals", "key material",
                           "key materials", "key battery material", "high tech materials"), r"关键矿产|矿产"),
    ("semiconductors", ("semiconductor", "semiconductors", "chip", "chips", "microchip", "microchips",
                        "chipmaking", "chip making", "chipmakers", "advanced computing", "gpu", "gpus",
                        "integrated circuit", "integrated circuits"), r"半导体|芯片|先进计算|集成电路"),
    ("electric vehicles", ("electric vehicle", "electric vehicles", "electric car", "electric cars",
                           "=EV", "=EVs", "=BEV", "=BEVs"), r"电动汽车|新能源汽车|电动车"),
    ("autos", ("auto", "autos", "cars", "automobile", "automobiles", "auto parts", "automotive"), r"汽车"),
    ("batteries", ("battery", "batteries"), r"电池"),
    ("soybeans", ("soybean", "soybeans", "soy"), r"大豆"),
    ("agricultural products", ("agricultural", "agriculture", "farm goods", "farm products"), r"农产品"),
    ("brandy", ("brandy", "cognac"), r"白兰地"),
    ("pork", ("pork",), r"猪肉"),
    ("beef", ("beef",), r"牛肉"),
    ("dairy", ("dairy",), r"乳制品"),
    ("wine", ("wine", "wines"), r"葡萄酒"),
    ("whiskey", ("whiskey", "whisky", "bourbon"), r"威士忌"),
    ("seafood", ("seafood",), r"水产品|海产品"),
    ("solar", ("solar", "photovoltaic"), r"光伏|太阳能"),
    ("lumber", ("lumber", "timber", "softwood", "plywood"), r"木材|胶合板"),
    ("pharmaceuticals", ("pharmaceutical", "pharmaceuticals", "pharma", "drugs", "medicines"), r"药品|医药"),
    ("aircraft", ("aircraft", "planes", "boeing", "airbus"), r"飞机|航空器"),
    ("drones", ("drone", "drones", "unmanned aircraft"), r"无人机"),
    ("oil", ("oil", "crude", "petroleum"), r"原油|石油"),
    ("coal", ("coal",), r"煤炭"),
    ("natural gas", ("=LNG", "natural gas"), r"天然气"),
    ("textiles", ("textile", "textiles", "apparel", "garment", "garments"), r"纺织|服装"),
    ("furniture", ("furniture",), r"家具"),
    ("trucks", ("truck", "trucks"), r"卡车"),
    ("smartphones", ("smartphone", "smartphones", "iphone", "iphones"), r"手机"),
    ("ships", ("ship", "ships", "vessel", "vessels", "shipbuilding"), r"船舶|船只"),
    ("machinery", ("machinery", "machine tool", "machine tools"), r"机械|机床"),
)
# Products that cover others: two titles naming "minerals" and "gallium" name compatible goods.
UMBRELLAS: dict[str, frozenset[str]] = {
    "critical minerals": frozenset({"rare earths", "gallium", "germanium", "antimony", "graphite", "tungsten",
                                    "tellurium", "bismuth", "molybdenum", "indium", "lithium", "copper",
                                    "superhard materials"}),
    "agricultural products": frozenset({"soybeans", "pork", "beef", "dairy", "wine", "whiskey", "brandy",
                                        "seafood"}),
    "autos": frozenset({"electric vehicles", "trucks", "batteries"}),
    "electric vehicles": frozenset({"batteries"}),
}

# Federal Register trade-remedy titles name their product: "Certain Steel Nails From the Republic of …".
FR_PRODUCT = re.compile(r"^(?:certain\s+)?(?P<product>[^:;]{3,80}?)\s+from\s+(?:the\s+)?[A-Z][^:;]{2,80}:", I)
