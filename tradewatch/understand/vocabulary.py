"""The vocabulary the rules and extractors read: countries and products, in English and Chinese.

Countries are ISO alpha-2 codes (and EU) with the names, leaders, ministries and companies that
stand for them; products (canonical names with English phrases and a Chinese regex, and the umbrellas that cover
others), kinds of measure, statutes and named companies, organisations and places are the bilingual vocabulary of `terms.toml`, read once here. Also here: the cues around a country mention that make it an
actor, a target or context, dotted abbreviations rewritten before matching, and the product a
Federal Register trade-remedy title names, and the government bodies and hosts that make a source
official (OFFICIAL_SOURCE, OFFICIAL_HOST). Pure data (one file read at import); the rules are in `lexicon`.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

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
            r"美国|美方|特朗普|川普|拜登|白宫|华盛顿|(?<=[对输自赴涉中向与和将印日韩被遭])美(?![元洲容食丽术味])|^美(?=[对商政总贸财国方企将])"),
    Country("CN", ("china", "chinese", "beijing", "=PRC", "people's republic of china", "sino"),
            ("xi jinping", "=Xi", "=MOFCOM", "ministry of commerce", "commerce ministry",
             "customs tariff commission", "tariff commission", "state council",
             "general administration of customs", "ministry of transport"),
            ("huawei", "=ZTE", "=SMIC", "=CXMT", "=YMTC", "hikvision", "changxin"),
            r"中华人民共和国|中国|中方|我国|北京|商务部|海关总署|国务院|税则委员会|税委会|习近平|(?<=对)华|中(?=美)|大陆|中企|中资|陆(?=商务部|方)|(?:^|(?<=[：:\s，对向自]))陆(?![续军地路上])|华为"),
    Country("EU", ("=EU", "european union", "europe", "european", "brussels"),
            ("european commission", "=EC", "von der leyen", "sefcovic", "šefčovič"), (), r"欧盟|欧方|欧洲|欧委会"),
    Country("CA", ("canada", "canadian", "canadians", "ottawa"), ("carney", "trudeau"), (), r"加拿大|加方"),
    Country("MX", ("mexico", "mexican", "mexicans", "=MX"), ("sheinbaum",), (), r"墨西哥"),
    Country("IN", ("india", "indian", "new delhi"), ("modi",), (), r"印度|^印(?=[美中日俄欧])|(?<=[对中美与和向])印(?=[方企商政出进关贸])"),
    Country("RU", ("russia", "russian", "moscow", "kremlin"), ("putin",), (), r"俄罗斯|俄方"),
    Country("JP", ("japan", "japanese", "tokyo"), (), (), r"日本|日方|(?<=[对输赴涉向与和中美])日(?=[方企商政稀出进关贸实军芯两])|^日(?=[美中韩])"),
    Country("KP", ("north korea", "north korean", "pyongyang"), (), (), r"朝鲜"),
    Country("KR", ("south korea", "south korean", "korea", "korean", "seoul"), (),
            ("samsung", "hanwha", "sk hynix"), r"韩国|韩方|(?<=[对美中日与和向])韩(?=[方企商政出进关贸实军芯半])|^韩(?=[美中日])"),
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
# The EU's member states: a measure on the EU reaches them, so "EU" and "NL" can be one target.
EU_MEMBERS = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split())
# Abbreviations written with dots, rewritten before matching so that "U.S." is one word.
ABBREVIATIONS = ((re.compile(r"\bU\.S\.A?\.?(?=\W|$)"), "US"), (re.compile(r"\bU\.K\.?(?=\W|$)"), "UK"),
                 (re.compile(r"\bE\.U\.?(?=\W|$)"), "EU"))
# Words before a mention that make it a target (English) or context (neither actor nor target).
TARGET_CUES = re.compile(r"(?:\b(?:on|against|to|from|at|targeting|toward|towards|into|of|with|for)\s+(?:the\s+)?"
                         r"(?:[\w$.,-]+\s+){0,3})$", I)
CONTEXT_CUES = re.compile(r"(?:\b(?:over|amid|after|despite|as|while|ahead of|in response to|before|"
                          r"following|like|than|by)\s+(?:[\w'’-]+\s+){0,2})$", I)
# A mention that names who reports, not who acts: "Japanese report claims …", "US media say …".
REPORTER_AFTER = re.compile(r"^(?:'s)?\s*(?:report|reports|media|press|newspapers?|outlets?|daily|sources?)\b", I)
COORDINATION = re.compile(r"^\s*(?:and|&|,|-|–|—|/)\s*$", I)
# A country's media reporting (日媒：…, 外媒指…): the country neither acts nor is targeted.
REPORTER_AFTER_ZH = re.compile(r"^(?:媒体?|官媒|报道|报导|消息人士|传媒)")
TARGET_CUES_ZH = re.compile(r"(?:对|向|自|针对|原产于|输往|对于|从|输|进口|出口)[^，。；：:\s]{0,6}$")
COORDINATION_ZH = re.compile(r"^(?:、|和|与|及|同|)$")
# "India hit with …", "Huawei added to …": a passive verb after a mention makes it the target.
PASSIVE_AFTER = re.compile(r"^(?:'s)?\s*(?:[\w-]+\s+){0,2}?(?:is |are |was |were |gets? |got |being )?"
                           r"(?:hit|slapped|targeted|struck|penali[sz]ed|added|placed|put|blacklisted|listed|faces?|facing)\b"
                           r"(?!\s+back)", I)
OWNER_AFTER = re.compile(r"^(?:'s)?\s*(?:[\w-]+\s+){0,2}?(?:entity list|blacklist|tariffs?|duties|export controls?|"
                         r"trade blacklist|control list)\b", I)
GOODS_AFTER = re.compile(r"^(?:'s|’s)?\s*(?:[\w-]+\s+){0,2}?(?P<goods>imports?|goods|products|companies|firms|"
                         r"entities|vehicles|evs|cars|ships|vessels|items|affiliates|subsidiaries)\b", I)
# A verb between a mention and the goods after it: the goods are another's ("China adds Japanese firms").
VERB_BETWEEN = re.compile(r"\b(?:impos|slap|levie|rais|hik|add|ban|bar|restrict|curb|set|announc|unveil|expand|"
                          r"tighten|extend|cut|lower|suspend|lift|eas|grant|approv|revok|put|place|target|hit|"
                          r"sanction|block|halt|limit|end|drop|remov|exempt|halv|doubl|tripl|reduc|increas|boost|slash|trim|"
                          r"scrap|introduc|adopt|reimpos|reinstat|quadrupl)\w*", I)
# Government bodies in Chinese titles: the body acts ("…认定欧盟补贴… 商务部公告…").
ZH_AGENCY = re.compile(r"商务部|海关总署|国务院|税则委员会|税委会|财政部|国务院关税税则委员会")


# --- The bilingual vocabulary (terms.toml): products, kinds of measure and statutes. -------------
@dataclass(frozen=True)
class Term:
    """One id of the bilingual vocabulary with its English and Chinese patterns."""

    id: str
    en: str                      # a regular expression (kinds, statutes), case-insensitive
    zh: str                      # a regular expression on simplified Chinese
    topic: str = ""              # kinds: the topic the kind belongs to
    specific: bool = True        # kinds: False for the generic nouns every report of a topic names
    role: str = ""               # names: "company", "organisation" or "place"


def _load_terms() -> dict:
    with open(Path(__file__).with_name("terms.toml"), "rb") as f:
        return tomllib.load(f)


TERMS = _load_terms()
# Products and sectors: canonical name, English phrases (as for countries), Chinese regex.
PRODUCTS: tuple[tuple[str, tuple[str, ...], str], ...] = tuple(
    (name, tuple(entry["en"]), entry["zh"]) for name, entry in TERMS["product"].items())
# Products that cover others: two titles naming "minerals" and "gallium" name compatible goods.
UMBRELLAS: dict[str, frozenset[str]] = {
    name: frozenset(entry["covers"]) for name, entry in TERMS["product"].items() if entry.get("covers")}
KINDS: tuple[Term, ...] = tuple(Term(name, e["en"], e["zh"], e["topic"], e.get("specific", True))
                                for name, e in TERMS["kind"].items())
STATUTES: tuple[Term, ...] = tuple(Term(name, e["en"], e["zh"]) for name, e in TERMS["statute"].items())
# The country whose statute it is, for statutes of one country only.
STATUTE_ACTORS: dict[str, str] = {name: e["actor"] for name, e in TERMS["statute"].items() if e.get("actor")}
# Named companies, organisations and places that are not countries (Nvidia / 英伟达, NATO / 北约).
NAMES: tuple[Term, ...] = tuple(Term(name, e["en"], e["zh"], role=e["role"]) for name, e in TERMS["name"].items())
COMPANIES = frozenset(t.id for t in NAMES if t.role == "company")

# Federal Register trade-remedy titles name their product: "Certain Steel Nails From the Republic of …".
FR_PRODUCT = re.compile(r"^(?:certain\s+)?(?P<product>[^:;]{3,80}?)\s+from\s+(?:the\s+)?[A-Z][^:;]{2,80}:", I)


# --- Official sources: government bodies and hosts. Anything else is "news". -------------------
OFFICIAL_SOURCE = re.compile(
    r"federal register|\bCSMS\b|customs and border protection|white house|presidential actions|"
    r"\bUSTR\b|trade representative|bureau of industry and security|department of commerce|"
    r"commerce department|international trade administration|\bministry\b|\bministries\b|"
    r"\bcommission\b|\bdepartment of\b|\bgovernment of\b|\bstate council\b|\bMOFCOM\b|\bGACC\b|"
    r"商务部|海关总署|税则委员会|国务院|外交部|财政部|发改委|工信部|人民政府|"
    r"\bgazette\b|eur-lex|council of the (?:european union|eu)", I)
OFFICIAL_HOST = re.compile(
    r"^(?:[\w-]+\.)*(?:gov|gov\.[a-z]{2}|gc\.ca|gob\.mx|go\.jp|go\.kr|gov\.cn|europa\.eu|"
    r"ustr\.gov|federalregister\.gov|mofcom\.gov\.cn|customs\.gov\.cn|mof\.gov\.cn|fmprc\.gov\.cn)$", I)
# Only the part of a source name before a bracket counts: "Xinhua (via MOFCOM website)" is news.
SOURCE_NAME_HEAD = re.compile(r"^[^(（\[]*")


# --- clauses: where a title's measure is only background, or its main clause ends ---------------
# A source whose name says it publishes opinion.
OPINION_SOURCE = re.compile(r"\b(?:opinion|op-ed|editorial|commentary|column(?:ist)?|blog)\b", I)
# Context clauses: a measure named only here is background ("… amid tariff fears").
CONTEXT_CLAUSE = re.compile(r"\s(?:amid|despite|ahead of|in the wake of|on fears of|before|after|if|unless|"
                            r"in (?:response|retaliation|reply) (?:to|for|against)|to counter|responding to|"
                            # "over" a measure that ends the clause: its reason ("… over rare earth curbs")
                            r"over(?= (?:[\w'’-]+ ){0,4}?(?:curbs|controls|restrictions|bans?|tariffs|duties|levies)\s*(?:$|[,;:]))|"
                            r"as(?! of| part| well| much| high| low| many| soon| long| far| early| little| regards| concerns| amended| follows| set out| referred)"
                            r")\b[^,;:]*", I)
# A measure named as someone's ("Trump's 25% tariff threat"): the thing talked about, whose rate or
# "threat" does not make the title announce it.
POSSESSED_MEASURE = re.compile(r"\b[\w.]+['’]s\s+(?:[\w%$.-]+\s+){0,4}?(?:tariffs?|duties|levies|"
                               r"threats?|controls|curbs|bans?|restrictions)\b(?:\s+(?:threats?|hikes?|increases?|plans?))?", I)
# Where a title's first clause ends: a reaction or comment after it is not the title's main clause.
LEAD_CLAUSE_END = re.compile(r";|\s[–—-]\s|\s\|\s|,\s(?=(?:[\w'’-]+\s){0,3}(?:says?|said|vows?|warns?|slams?|"
                             r"responds?|reacts?|calls|urges?|criticizes?|criticises?|protests?)\b)", I)
# A title with none of the measure nouns may still point at one the summary states.
SUMMARY_HINT = re.compile(r"\bexports?\b|\bimports?\b|\bretaliat\w*|\bhits? back\b|\bstrikes? back\b|"
                          r"\bcountermeasures?\b|\btit-for-tat\b|\bcrackdown\b|\bchokehold\b|\bgrip\b|出口|进口|反制", I)
