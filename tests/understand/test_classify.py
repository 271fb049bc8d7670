"""Classification: table-driven cases, English and Chinese, announcements and the hard negatives
that only talk about them (markets, statistics, courts, reactions, talks, analysis, routine notices).
All headlines are written for these tests."""
from __future__ import annotations

import pytest

from tradewatch.understand.classify import classify

T, E, B, N = ("tariff",), ("export_control",), ("tariff", "export_control"), ()

NEWS = [
    # --- tariff announcements ---------------------------------------------------------------
    ("US to impose 25% tariffs on Mexican tomatoes starting July 14", T),
    ("Canada slaps 100% surtax on Chinese-made electric vehicles", T),
    ("EU sets definitive anti-dumping duties of up to 35% on Chinese biodiesel", T),
    ("India hikes import duty on edible oils", T),
    ("Trump says US will impose 50% tariff on EU goods from June 1", T),
    ("Japan extends anti-dumping measures on Chinese graphite electrodes", T),
    ("Mexico raises tariffs on 1,400 imports from countries without trade deals", T),
    ("China announces 15% tariffs on US coal and LNG in retaliation", T),
    ("White House delays auto tariffs by six months", T),
    ("US lifts steel tariffs on Canada and Mexico", T),
    ("Brazil cuts import tax on electric cars", T),
    ("Turkey imposes additional 40% levy on US cars", T),
    ("Commerce issues preliminary countervailing duties on Vietnamese solar cells", T),
    ("Trump threatens 200% tariff on French champagne", T),
    ("US and Japan strike deal setting 15% tariff on Japanese imports", T),
    ("New tariffs on Chinese goods take effect", T),
    ("Washington doubles tariffs on steel and aluminum to 50%", T),
    ("EU hits back at US with duties on bourbon and motorcycles", T),
    ("Australia scraps tariffs on hundreds of products", T),
    ("Trump signs proclamation imposing 25% tariffs on imported trucks", T),
    ("China exempts some US chip imports from 125% tariffs", T),
    ("US suspends de minimis exemption for Chinese parcels", T),
    ("Biden quadruples tariffs on Chinese EVs to 100%", T),
    ("Trump hits Brazil with 50 per cent tariff", T),
    ("Seoul imposes anti-dumping duties on Chinese steel plates", T),
    ("Why the White House is threatening Japan with higher tariffs", T),
    ("Beijing fires back with tariffs on US farm goods", T),
    ("Ottawa to drop counter-tariffs on American consumer goods next month", T),
    ("Chile to cut import duties on staple foods to fight inflation", T),
    ("Tariffs drove consumer inflation to a two-year high in March, data show", N),
    ("Inflation cools as tariff pass-through fades", N),
    ("Ruritania hit with additional 25% US tariff", T),
    # --- export-control announcements -------------------------------------------------------
    ("US adds dozens of Chinese firms to trade blacklist", E),
    ("Commerce Department tightens curbs on AI chip exports to China", E),
    ("China restricts exports of drone parts", E),
    ("Netherlands expands export licence requirements for chip machines", E),
    ("Japan adds 23 chipmaking tools to export control list", E),
    ("BIS issues new rule restricting exports of advanced semiconductors", E),
    ("China bans exports of rare earth processing technology", E),
    ("China places US drone maker on unreliable entity list", E),
    ("US lifts export curbs on chip design software to China", E),
    ("China suspends export controls on gallium to US", E),
    ("Nvidia needs licence to export H20 chips to China, US says", E),
    ("Indonesia bans nickel ore exports", E),
    ("India restricts rice exports", E),
    ("Beijing tightens its grip on graphite supplies", E),
    ("EU adopts sanctions package banning exports of dual-use goods to Russia", E),
    ("US restricts sales of advanced AI chips to China", E),
    ("Commerce to require licences for exports of AI chips worldwide", E),
    ("China imposes export controls on rare earths and 10% tariffs on US farm goods", B),
    # --- hard negatives ---------------------------------------------------------------------
    ("Stocks tumble as Trump unveils sweeping tariffs", N),
    ("Dow drops 500 points on tariff worries", N),
    ("China's exports to US fell 20% in May as tariffs bite", N),
    ("US trade deficit narrows as imports slump ahead of tariffs", N),
    ("What Trump's new tariffs mean for your grocery bill", N),
    ("Economists warn tariffs will raise prices for consumers", N),
    ("Tariffs are a tax on Americans, says central bank official", N),
    ("Trump's tariff war explained", N),
    ("Supreme Court strikes down emergency tariffs", N),
    ("WTO rules US steel tariffs breached trade rules", N),
    ("EU and US hold talks on steel tariffs", N),
    ("China vows to retaliate against new US tariffs", N),
    ("Trump says he is considering tariffs on pharmaceuticals", N),
    ("Exporters rush to ship goods before tariff deadline", N),
    ("Soybean farmers struggle under Chinese tariffs", N),
    ("Apple shares fall as China tightens chip export rules", N),
    ("US-China trade talks end without deal on tariffs", N),
    ("Tariff uncertainty weighs on factory orders", N),
    ("Beijing criticizes US export controls as bullying", N),
    ("Chipmaker CEO says export curbs will cost company $5 billion", N),
    ("Lawmakers urge Commerce to add memory maker to entity list", N),
    ("EU launches anti-dumping investigation into Chinese tinplate", N),
    ("US opens Section 232 probe into semiconductor imports", N),
    ("Commerce ministry says it firmly opposes US chip curbs", N),
    ("Customs data show rare earth exports plunged in May", N),
    ("Column: tariffs won't fix the trade deficit", N),
    ("Tariffs: what you need to know", N),
    ("Indian rupee slips as US tariff deadline nears", N),
    ("Port cargo volumes drop amid tariffs", N),
    ("Trade war timeline: key dates in the tariff fight", N),
    ("Here's how much the tariffs have raised so far", N),
    ("Carmaker profits hit by export controls on magnets", N),
    ("Trade ministers meet to discuss tariff truce", N),
    ("Company unveils new phone lineup", N),
    ("Trump tariffs: live updates", N),
    ("Car prices set to rise as tariffs take hold", N),
    ("Beijing says US chip curbs violate market principles", N),
    ("Global shipping rates surge as tariff deadline looms", N),
    ("EV makers shift production abroad to dodge tariffs", N),
    ("Ruritania calls US tariff action unfair", N),
    ("Small businesses sue over tariffs", N),
    ("Port traffic falls as tariffs hit imports", N),
    ("China says door open to talks as tariff war escalates", N),
    ("Beijing says it will retaliate if Washington imposes tariffs", N),
    ("Foreign ministry spokesperson slams US export controls", N),
    ("Trump threatens 25% tariffs if neighbour fails to act", T),
    # --- Chinese ----------------------------------------------------------------------------
    ("国务院关税税则委员会决定对原产于美国的部分进口商品加征15%关税", T),
    ("商务部：对原产于美国和日本的进口共聚甲醛征收反倾销税", T),
    ("自3月10日起对美国大豆加征10%关税", T),
    ("暂停对部分美国商品加征关税", T),
    ("国务院关税税则委员会发布公告 延长部分对美加征关税商品排除期限", T),
    ("美国宣布对华商品加征10%关税", T),
    ("欧盟对中国电动汽车征收临时反补贴税", T),
    ("商务部将稀土相关技术列入禁止出口限制出口技术目录", E),
    ("商务部公告：对部分无人机相关物項實施出口管制", E),
    ("美国商务部将12家中国实体列入实体清单", E),
    ("中方决定将多家美国军工企业列入出口管制管控名单", E),
    ("商务部 海关总署公告2024年第33号 关于对锑等物项实施出口管制的公告", E),
    ("外交部：中方坚决反对美方滥用出口管制", N),
    ("商务部新闻发言人就美方对华加征关税答记者问", N),
    ("专家解读：加征关税对中国出口影响有限", N),
    ("前三季度我国进出口总值同比增长5%", N),
    ("A股稀土板块大涨 出口管制利好", N),
    ("中美经贸磋商取得积极进展", N),
    ("美国商务部对华发起反倾销调查", N),
    ("第一百届交易会今日开幕", N),
]

OFFICIAL = [
    ("Adjusting Imports of Copper Into the United States", "", T),
    ("Implementation of Additional Controls on Items Related to Hypersonic Systems", "", E),
    ("To Continue Facilitating Positive Adjustment to Competition From Imports of Solar Cells", "", T),
    ("Certain Hardwood Flooring From the People's Republic of China: Antidumping Duty Order", "", T),
    ("Certain Steel Wire From Mexico: Final Affirmative Determination of Sales at Less Than Fair Value", "", T),
    ("Notice of Modification of Section 301 Action", "", T),
    ("GUIDANCE: Extension of Section 232 Product Exclusions", "", T),
    ("Additions to the Entity List", "", E),
    ("Foreign-Produced Direct Product Rule Additions, and Refinements to Controls for Advanced Computing", "", E),
    ("Revisions to the Export Administration Regulations: Semiconductor Items", "", E),
    ("Implementation of Additional Controls on Advanced Computing Items", "", E),
    ("Implementation of Additional Controls; Certain Items", "", N),
    ("Implementation of Additional Controls; Certain Items",
     "BIS amends the EAR to impose new license requirements on exports of advanced chips.", E),
    ("EU acts against dumped steel wheels", "The Commission imposed definitive anti-dumping duties today.", T),
    ("Agency Information Collection Activities; Comment Request; Export Licensing", "", N),
    ("Certain Pasta From Italy: Final Results of Antidumping Duty Administrative Review", "", N),
    ("Initiation of Five-Year (Sunset) Reviews", "", N),
    ("Quarterly IRS Interest Rates Used in Calculating Interest on Customs Duties", "", N),
    ("Request for Comments on Proposed Section 301 Action", "", N),
    ("Technical Advisory Committee; Notice of Partially Closed Meeting", "", N),
    ("Entry Summary Reporting for Harmonized Tariff Schedule Lines in ACE", "", N),
    ("Tariff-Rate Quota Allocations for Raw Cane Sugar", "", N),
    ("National Day of Remembrance, 2026", "", N),
    ("商务部公告2025年第70号 关于暂停实施对美出口管制措施的公告", "", E),
    ("商务部召开例行新闻发布会", "", N),
    ("商务部新闻发言人就美国将中国实体列入实体清单答记者问", "", N),
    ("商务部新闻发言人就中方调整出口管制措施答记者问", "", E),
]


@pytest.mark.parametrize("title,topics", NEWS, ids=[t for t, _ in NEWS])
def test_news_headlines(title, topics):
    lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in title) else "en"
    result = classify(title, "", lang, "news")
    assert result.topics == topics, result.reasons
    assert result.relevant == bool(topics)


@pytest.mark.parametrize("title,summary,topics", OFFICIAL, ids=[t[:60] + s[:10] for t, s, _ in OFFICIAL])
def test_official_titles(title, summary, topics):
    lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in title) else "en"
    result = classify(title, summary, lang, "official")
    assert result.topics == topics, result.reasons


def test_terse_official_title_counts_but_the_same_words_from_news_do_not():
    title, summary = "Implementation of Additional Controls", "BIS imposes license requirements on exports of chips."
    assert classify(title, summary, "en", "official").relevant
    assert not classify(title, "", "en", "news").relevant
    # news with that title counts only for what its summary's lead sentence announces
    assert not classify(title, "Analysts expect more rules on chips this year.", "en", "news").relevant


def test_summary_supplies_the_measure_when_the_title_points_to_exports():
    result = classify("Beijing moves on graphite exports", "China will require export permits for graphite.", "en", "news")
    assert result.topics == E and any(r.startswith("summary:") for r in result.reasons)


def test_measure_named_only_in_a_context_clause_is_background():
    assert not classify("Officials meet amid new tariffs on steel", "", "en", "news").relevant


def test_opinion_source_is_vetoed():
    result = classify("Tariff hikes on steel will backfire", "", "en", "news", source_name="Daily Globe Opinion")
    assert not result.relevant and "veto-opinion-source" in result.reasons


def test_routine_action_field_of_a_federal_register_document_vetoes():
    extra = {"action": "Notice of initiation of administrative review"}
    assert not classify("Certain Nails From Taiwan: Antidumping Duty Order", "", "en", "official", extra).relevant


def test_reasons_name_the_rules():
    result = classify("US adds 12 Chinese firms to Entity List", "", "en", "news")
    assert "entity-list" in result.reasons and "act-list" in result.reasons


# One row per kind of headline the rules were widened for: (kind, title, topics, a reason it must give).
KINDS = [
    ("licence granted", "Washington grants Ruritanian chipmaker licences to ship tools to China", E, "licence-decision"),
    ("licence revoked", "Commerce revokes export licences for suppliers of a Chinese telecom firm", E, "licence-decision"),
    ("licence required", "Licences now required for sales of advanced GPUs to the Gulf", E, "licence-decision"),
    ("a licence that is not about trade", "City revokes liquor licences of three bars", N, None),
    ("licence decision, Chinese", "商务部批准部分稀土出口许可申请", E, "zh-licence-decision"),
    ("a list's reach widened", "BIS extends its affiliates rule to subsidiaries of listed firms", E, "list-reach"),
    ("a list's reach suspended", "US suspends 50% ownership rule for one year", E, "list-reach"),
    ("a countermeasure list", "Beijing puts 12 defence contractors on its countermeasure list", E, "countermeasure-list"),
    ("a countermeasure list, Chinese", "商务部将10家美国企业列入反制清单", E, "zh-export-list"),
    ("a watch list, Chinese", "商务部将5家外国实体列入出口管制关注名单", E, "zh-export-list"),
    ("an exemption from an export ban", "Beijing exempts some civilian orders from its chip export ban", E, "export-easing"),
    ("an export thaw, Chinese", "中方宣布部分芯片出口松绑", E, "zh-export-ban"),
    ("a statute never seen", "Ruritania invokes balance-of-payments authority for 15% import surcharge", T, "trade-statute"),
    ("Section 122, Chinese", "美国依据122条款对所有进口商品加征10%关税", T, "zh-tariff"),
    ("tariff cuts in a deal", "Ruritania and Korea reach deal to cut tariffs on cars to 5%", T, "act-deal"),
    ("a tariff-quota deal", "Ottawa seals tariff-quota pact with Seoul on beef", T, "act-deal"),
    ("talks without a deal", "Ruritania and Korea hold tariff talks in Geneva", N, None),
    ("an investigation's outcome", "USTR issues notice of action in Section 301 investigation of shipbuilding", T, None),
    ("an investigation opened", "Ruritania opens anti-dumping investigation into steel from Korea", N, None),
    ("a reaction after the measure", "Ruritania doubles steel duties; exporters say it is not enough", T, None),
    ("a reaction to a foreign measure", "Seoul vows response to Ruritanian steel duties", N, None),
    ("a reaction, Chinese", "日本首相怒批中方出口管制 称无法容许", N, None),
    ("a denial", "Ruritania has no plans to impose tariffs on Korean cars", N, "veto-denial"),
    ("a denial, Chinese", "交通部：无计划向外国船舶征收特别港务费", N, "veto-zh-denial"),
    ("an explainer of what a list is", "What is the unreliable entity list and who is on it", N, "veto-explainer"),
    ("analysis weeks later", "Six months after the tariffs took effect, Ruritanian ports are quiet", N, "soft-later"),
    ("quota administration", "Ruritania opens applications for next year's beef quota allocations", N,
     "veto-quota-administration"),
    ("trade statistics", "Ruritania's trade gap narrows as imports fall under tariffs", N, "veto-statistics"),
    ("trade statistics, Chinese", "去年对美出口跌幅创纪录 关税拖累外贸", N, "veto-zh-statistics"),
    ("a tariff-war tag is not a measure", "【关税战】港口货运量回落", N, None),
    ("permission in plain words", "Washington will let Ruritanian chipmakers ship GPUs to approved buyers", E,
     "export-approval"),
    ("permission, Chinese", "美国批准芯片企业向海湾国家出口先进处理器", E, "zh-export-ban"),
    ("a waiver revoked", "Commerce revokes waivers that let two memory makers ship tools to their plants abroad", E,
     "licence-decision"),
    ("controls paused", "Ruritania pauses its graphite control measures for a year", E, "goods-controls"),
    ("a prohibition dropped", "Ruritania drops prohibition on shipping gallium to defence users", E,
     "restrictions-on-controlled-goods"),
    ("tax as a verb", "Ruritania to tax imported furniture at 30% from May", T, "levy"),
    ("a singular duty moved", "President signs order halving the duty tied to migration on Ruritanian goods", T,
     "duties"),
    ("a legislature approves", "Ruritanian lawmakers back levies on 900 product lines from Asia", T, None),
    ("a legislator comments", "Lawmakers say Ruritania's new levies will hurt farmers", N, "veto-commentator"),
    ("a multilateral regime's decisions", "Implementation of Certain Wassenaar Arrangement Decisions on Sensors", E,
     "multilateral-regime"),
    ("a multilateral regime, Chinese", "商务部公告 落实瓦森纳安排有关物项管控决定", E, "zh-multilateral-regime"),
    ("exports of minerals cleared", "Ruritania clears some magnet exports to European carmakers", E, "export-approval"),
    ("a list's reach in other words", "Ruritania widens export restrictions to subsidiaries of blacklisted firms", E,
     "list-reach"),
    ("a deal struck on goods", "Ruritania and Korea strike deal on steel and autos", T, "goods-deal"),
    ("a deal on goods, Chinese", "鲁里塔尼亚与韩国就电动汽车和大豆达成初步协议", T, "zh-goods-deal"),
    ("a deal on investment in goods", "Ruritania and Korea sign deal on chip investment", N, None),
    ("talks on a deal on goods", "Ruritania and Korea hold talks on a deal on steel", N, None),
    ("trade threats dropped", "President abandons trade threats against Ruritania after summit", T, "trade-threat"),
    ("a leader says he will tax goods", "Ruritania's president says he will tax foreign-made films at 100%", T, "act-impose"),
    ("a company says a licence will be granted", "Chipmaker says Washington will grant licences to ship its GPUs to Asia",
     E, "licence-decision"),
    ("allowed to sell chips, Chinese", "美国将允许芯片企业恢复向海湾国家出售先进芯片", E, "zh-licence-decision"),
    ("an export ban only weighed", "Ruritania weighs nickel ore export ban", N, "soft-speculation"),
    ("sanctions on a number of companies", "Ruritania sanctions 30 Korean defence contractors", E, "sanctions-listing"),
    ("sanctions on a person", "Ruritania sanctions Korean minister over visit", N, None),
    ("an industry speaking", "Korean steelmakers say Ruritania's 50% levy is 'devastating'", N, "veto-commentator"),
    ("talks that cut tariffs, Chinese", "鲁里塔尼亚与韩国经贸会谈联合声明：双方大幅降低关税", T, "zh-tariff"),
    ("talks without a cut, Chinese", "鲁里塔尼亚与韩国举行经贸会谈 讨论关税问题", N, None),
    ("a surtax, Chinese", "鲁里塔尼亚对进口钢材征收20%附加税", T, "zh-tariff"),
    ("an export exemption, Chinese", "商务部：对符合条件的民用芯片出口给予豁免", E, "zh-export-ban"),
    ("a probe extended", "Ruritania extends anti-dumping probe into Korean pork by six months", N, "veto-procedure"),
    ("a probe extended, Chinese", "商务部决定延长对进口猪肉反倾销调查期限", N, "veto-zh-routine"),
    ("a probe ended, Chinese", "商务部决定终止对进口奶酪反补贴调查", N, "veto-zh-routine"),
    ("a year on, Chinese", "稀土出口管制一周年：产业链何去何从", N, "soft-zh-later"),
    ("relief at a cut in an 'as' clause", "Ruritanian wine makers relieved as Beijing trims duties", N, None),
    ("dissatisfaction is a reaction", "Ruritania's trade ministry expresses strong dissatisfaction with Korean steel duties",
     N, "soft-reaction"),
    ("a status stripped", "Commerce strips VEU status from Korean chipmakers' fabs in Ruritania", E, "licence-decision"),
    ("a status revoked, Chinese", "美国撤销两家存储芯片企业海外工厂的经验证最终用户资格", E, "zh-export-licence"),
    ("a rate before a singular duty", "Ruritania unveils steel safeguard replacement with 40% duty above quota", T,
     "duties"),
    ("a measure ended", "Ruritania ends its tariff exemption for Korean cars", T, "act-ease"),
    ("talks that end", "Ruritania and Korea tariff talks end without agreement", N, "soft-talks"),
    ("tighter export screening, Chinese", "鲁里塔尼亚收紧对韩稀土出口审查", E, "zh-export-ban"),
    ("a consequence guessed at is no analysis, Chinese", "鲁里塔尼亚加强审查稀土出口 或影响电动车生产", E,
     "zh-export-ban"),
    ("impact analysed, Chinese", "鲁里塔尼亚稀土出口管制的影响", N, "soft-zh-analysis"),
    ("permits for exports", "Ruritania requires permits for exports of advanced processors", E, "licensing"),
    ("a licence to apply for, Chinese", "鲁里塔尼亚电池正极技术出口须申请许可", E, "zh-export-licence"),
    ("servicing stopped", "Ruritania orders toolmaker to stop servicing lithography machines in Korea", E, "service-ban"),
    ("servicing stopped, Chinese", "鲁里塔尼亚要求企业停止为韩国部分光刻机提供维护服务", E, "zh-service-ban"),
    ("servicing a plant is no control", "Carmaker halts maintenance work at its Ohio plant", N, None),
    ("shipping controlled goods stopped", "Ruritania stops shipping drone components to Korean buyers", E,
     "restrict-controlled-sales"),
    ("stopping short of a measure", "President stops short of new tariffs on Ruritania", N, None),
    ("a reaction whose object is the measure", "Seoul calls Ruritanian tariff increase unjustified", N,
     "veto-reaction-object"),
    ("a reaction verb, then the measure", "Korea slams Ruritania's steel duty hike", N, "veto-reaction-object"),
    ("a leader who reacts, then acts", "President slams Korea, raises tariffs on its steel to 50%", T, None),
    ("a trade agreement implemented", "Ruritania implements trade deal with Korea on Monday", T, "implementing-agreement"),
    ("talks on implementing an agreement", "Ruritania and Korea discuss implementing their trade deal", N, "soft-talks"),
    ("cut off from controlled goods", "Ruritania unveils rules to cut Korea off from advanced chips", E, "tech-access"),
    ("a measure named in a response clause", "Ruritania restricts exports of nickel in response to Korean tariffs", E, None),
    ("a national-security import action", "Fact Sheet: President Takes Action on Imports of Timber to Protect "
     "America's National Security", T, "national-security-action"),
    ("an approval idiom", "Chipmaker gets nod to resume GPU sales to Korea", E, "export-approval"),
    ("an approval obtained, Chinese", "鲁里塔尼亚芯片企业获准向韩国出售先进芯片", E, "zh-licence-decision"),
    ("chip rules tightened", "Ruritania tightens advanced computing chip rules, closes loopholes", E, "chip-rules"),
    ("AI rules are not export rules", "Ruritania finalises AI rules for chatbots", N, None),
    ("shipments abroad halted", "Ruritania to halt nickel ore shipments abroad from June", E, "restrict-shipments-abroad"),
    ("refunds of duties", "Customs issues guidance on filing refunds for emergency duties", N, "veto-legal"),
    ("a measure as the subject of its consequence", "Truckmaker says tariffs will raise prices for fleets", N,
     "veto-consequence"),
    ("a measure that moves, not a consequence", "Ruritania's duties will rise to 40% next month", T, None),
    ("a company says it can cope", "Chipmaker says it can cope with new Ruritanian curbs", N, "veto-consequence"),
    ("an industry frets", "Korean exporters fret over 19% Ruritanian tariff", N, "veto-commentator"),
    ("a measure named as the reason", "President threatens 100% tariff on Korea over its magnet curbs", T, None),
    ("licences required for goods abroad", "Ruritania's new rules require licences for foreign products with Ruritanian gallium",
     E, "licence-decision"),
    ("a licence required, Chinese", "鲁里塔尼亚扩大稀土管制范围 境外产品须许可", E, "zh-licence-decision"),
    ("a licence revoked, long object, Chinese", "美方吊销部分企业对鲁里塔尼亚企业供货许可", E, "zh-licence-decision"),
    ("companies ordered to stop selling", "Ruritania orders software firms to stop shipping to Korean customers", E,
     "ordered-to-stop-sales"),
    ("companies ordered to stop selling, Chinese", "鲁里塔尼亚要求软件企业停止向韩国客户供货", E, "zh-ordered-to-stop-sales"),
    ("a tariff ceiling in a statement", "Ruritania, Korea sign joint statement: 15% ceiling on most goods", T, "tariff-ceiling"),
    ("a tariff ceiling, Chinese", "鲁韩发表联合声明 多数商品关税上限15%", T, "zh-tariff"),
    ("de minimis, Chinese", "鲁里塔尼亚取消所有国家小额包裹免税待遇", T, "zh-de-minimis"),
    ("an anti-tariff ad", "Province pulls anti-tariff ad after president's outburst", N, None),
    ("a verdict named with a noun", "Leader calls Ruritanian fertiliser tariffs economic suicide", N, "veto-reaction-object"),
    ("a court named as the background", "President invokes Section 122 for 15% global tariff after court loss", T, None),
    ("a court as the news", "Court blocks president's global tariffs", N, "veto-legal"),
    ("restrictions on a number of makers", "Ruritania slaps export restrictions on 12 Korean drone makers", E,
     "sanctions-listing"),
    ("an export rule by its name", "Commerce rescinds the AI diffusion rule", E, "named-export-rule"),
    ("an export rule by its name, Chinese", "鲁里塔尼亚商务部撤销人工智能扩散规则", E, "zh-export-list"),
    ("exports of controlled goods resumed", "Ruritania resumes rare earth exports to Korean carmakers", E, "exports-resumed"),
    ("exports of farm goods resumed", "Ruritania resumes beef exports to Korea", N, None),
    ("an offer on a condition", "President says he'll lower Korea tariffs if drug flows stop", N, "veto-conditional-offer"),
    ("a threat on a condition", "President says he will impose 25% tariffs on Korea if talks fail", T, None),
    ("an is-informed letter", "Commerce sends 'is-informed' letters to chipmaker over GPU exports to Korea", E, "licensing"),
    ("a triple-digit threat only floated", "President floats triple-digit tariffs on foreign films", N, "soft-speculation"),
    ("the unverified list, Chinese", "美国将12家鲁里塔尼亚实体列入未经核实清单", E, "zh-entity-list"),
    ("a threat after failed talks, Chinese", "鲁韩贸易谈判破局 鲁方扬言加征关税", T, "zh-tariff"),
    ("new export rules, Chinese", "鲁里塔尼亚宣布稀土出口新规 即日起生效", E, "zh-export-ban"),
    ("an embargo, Chinese", "鲁里塔尼亚禁运稀土至韩国", E, "zh-export-ban"),
    ("a tax raised, Chinese", "鲁里塔尼亚对韩国芯片加税", T, "zh-tariff"),
    ("a measure as the subject of its consequence, Chinese", "总统：关税将让鲁里塔尼亚更富强", N, "soft-zh-impact"),
    ("licences of named companies revoked", "Washington revokes Huawei licences for Intel, Qualcomm", E, "licence-decision"),
    ("countermeasures on goods", "Brussels suspends countermeasures on Ruritanian goods for 90 days", T,
     "countermeasures-on-goods"),
    ("worry about a measure, Chinese", "鲁里塔尼亚农民忧心韩国报复性关税", N, "soft-zh-impact"),
    ("a legal 'as regards' is no context clause", "Regulation amending the rules as regards the list of dual-use items",
     E, "dual-use"),
]


@pytest.mark.parametrize("kind,title,topics,reason", KINDS, ids=[k[0] for k in KINDS])
def test_kinds_of_headline(kind, title, topics, reason):
    lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in title) else "en"
    result = classify(title, "", lang, "news")
    assert result.topics == topics, result.reasons
    assert reason is None or reason in result.reasons, result.reasons


def test_an_official_titles_verdict_words_are_its_statutes():
    title = "Notice of Action in the Section 301 Investigation of Ruritania's Unfair Trading Practices"
    assert classify(title, "", "en", "official").topics == T
    assert not classify("Korea calls Ruritania's trading practices unfair", "", "en", "news").relevant


@pytest.mark.parametrize("title", ["Freight Wagons From Ruritania: Final Negative Determination of Sales at Less Than Fair Value",
                                   "Notice concerning the refund of anti-dumping duties paid on imports of pipe fittings"])
def test_negative_determinations_and_refunds_are_routine(title):
    assert classify(title, "", "en", "official").reasons[0] == "veto-routine"


@pytest.mark.parametrize("title", ["Regulation terminating the anti-subsidy proceeding concerning imports of cheese",
                                   "CSMS # 1236 - Trade Remedy Cargo Release: New Entry Type Codes"])
def test_an_ended_proceeding_and_customs_codes_are_routine(title):
    assert classify(title, "", "en", "official").reasons[0] == "veto-routine"


@pytest.mark.parametrize("title, lang, topics", [
    ("商务部公告 关于对原产于鲁里塔尼亚的进口正丁醇反倾销调查的终裁公告", "zh", T),
    ("Modifications to the Harmonized Tariff Schedule to Implement the Ruritania-Korea Agreement", "en", T),
])
def test_official_outcomes_in_other_words(title, lang, topics):
    assert classify(title, "", lang, "official").topics == topics


def test_talks_on_implementing_a_deal_are_talks():
    assert not classify("Ruritania and Korea hold talks to implement their trade deal", "", "en", "news").relevant


LEAD_SENTENCES = [
    ("Good news for farmers", "Ruritania lowered its tariff on Korean soybeans to 13% from 23% on Monday. Farmers cheered.", T),
    ("Steel quotas tightened", "Ruritania cut the quota for steel and raised the duty above it to 50%.", T),
    ("稀土新规出台", "鲁里塔尼亚商务部宣布对部分稀土相关物项实施出口管制，自公布之日起施行。", E),
    ("Weekly trade wrap", "A look at the week's developments in tariffs, export controls and trade talks.", N),
    ("Markets react", "Stocks fell after Ruritania announced a 25% tariff on imported trucks.", N),
    ("Exporters count the cost", "Korean exporters say orders fell by a third after Ruritania raised tariffs to 20%.", N),
    ("An interview with the minister", "The minister discussed the tariff dispute and prospects for a deal.", N),
    ("Trade office responds to Ruritania's chip policies", "The trade office determined the practices are actionable "
     "and is imposing tariffs on Ruritanian chips, rising to 50% in 2027.", T),
    ("Trade office responds to Ruritania's chip policies", "The trade office said it would study the practices.", N),
]


@pytest.mark.parametrize("title,summary,topics", LEAD_SENTENCES, ids=[t for t, _, _ in LEAD_SENTENCES])
def test_a_title_naming_no_measure_is_read_from_the_summarys_lead_sentence(title, summary, topics):
    lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in title) else "en"
    result = classify(title, summary, lang, "news")
    assert result.topics == topics, result.reasons
    assert not topics or any(reason.startswith("lead:") for reason in result.reasons)


def test_processing_guidance_is_routine_but_guidance_on_duties_is_not():
    assert not classify("CSMS # 1234 - Guidance: Processing Refunds of Section 232 Duties", "", "en", "official").relevant
    assert classify("CSMS # 1235 - Guidance: Additional Duties on Imports of Copper", "", "en", "official").relevant
    assert not classify("CSMS # 4322 - ACE Reports: new fields for Section 232 entries", "", "en", "official").relevant
    assert classify("CSMS # 4321 - UPDATE: Section 232 Duties on Ruritanian Lumber - Implementation Guidance",
                    "", "en", "official").relevant


def test_the_lead_sentence_runs_past_abbreviations():
    from tradewatch.understand.classify import lead_sentence
    assert lead_sentence("The office on Dec. 23 issued a notice. Then more.") == "The office on Dec. 23 issued a notice."
    assert lead_sentence("J. Smith said no. Next.") == "J. Smith said no."
    assert lead_sentence("鲁里塔尼亚宣布加征关税。其他内容。") == "鲁里塔尼亚宣布加征关税。"
