"""Rules and lexicons as data: what a tariff or export-control announcement looks like, in English
and Chinese.

Every rule is a named regular expression (with optional literals that must be present, a cheap
test before the pattern runs); `classify` reports the names of the rules that matched or vetoed,
so "why did I get this" has an answer. The tables describe how announcements are phrased in
general (a measure noun, a verb acting on it, a rate), never particular headlines. Chinese text is
matched after `to_simplified` (traditional characters mapped to simplified), so one table serves
both scripts (the vetoes are in `vetoes`). Also here: countries (names, leaders, ministries,
companies) and products as word phrases, and measure kinds that keep two proceedings apart
(OFFICIAL_SOURCE / OFFICIAL_HOST, which infer an official source from its name or URL, and the clause
patterns — context clauses, possessed measures, the lead clause, summary hints — are
re-exported from `vocabulary`; the direction and stage of a measure are in `stages`). Pure data
and two tiny helpers, no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from tradewatch.understand import vocabulary
from tradewatch.understand.hanzi import TRAD_TO_SIMP, to_simplified  # noqa: F401 (re-exported)
from tradewatch.understand.screen import Prepared, Screen, Sieve

I = re.IGNORECASE


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    needs: tuple[str, ...] = ()   # lower-case literals, one of which the text must contain: a cheap
                                  # test before the pattern is tried (empty: always try)
    screen: Screen | None = field(default=None, compare=False)   # derived from the pattern (see
                                  # tradewatch.understand.screen): a cheaper, exact test before `needs`

    def search(self, text: str, lowered: str) -> bool:
        if self.needs and not any(needle in lowered for needle in self.needs):
            return False
        return self.pattern.search(text) is not None


def matching(table: tuple[Rule, ...], text: str) -> list[str]:
    """Names of the rules of `table` that match `text`, in table order (screens skip the others)."""
    prepared = Prepared.of(text)
    return [table[i].name for i in _sieve(table).candidates(prepared) if table[i].search(text, prepared.lowered)]


_SIEVES: dict[int, tuple[tuple[Rule, ...], Sieve]] = {}


def _sieve(table: tuple[Rule, ...]) -> Sieve:
    """The table's sieve, built once per table (tables are module constants)."""
    known = _SIEVES.get(id(table))
    if known is None or known[0] is not table:
        if len(_SIEVES) > 64:
            _SIEVES.clear()
        known = _SIEVES[id(table)] = (table, Sieve([rule.screen for rule in table]))
    return known[1]


def rules(*entries: tuple, flags: int = I) -> tuple[Rule, ...]:
    """(name, regex) or (name, regex, needs) entries; `needs` is a string of "|"-separated literals."""
    return tuple(rule(e[0], re.compile(e[1], flags), tuple(e[2].split("|")) if len(e) > 2 else ()) for e in entries)


def rule(name: str, pattern: re.Pattern[str], needs: tuple[str, ...] = ()) -> Rule:
    return Rule(name, pattern, needs, Screen.of(pattern))


# Phrases that contain a measure word without being about a measure; removed before matching.
NOISE = rules(
    ("harmonized-tariff", r"\bharmoni[sz]ed tariff (?:schedule|system)\b|\bHTSU?S?\b"),
    ("tariff-classification", r"\btariff (?:classification|code|number|heading|line)s?\b"),
    ("heavy-duty", r"\b(?:heavy|light|medium)[- ]duty\b|\bon duty\b|\bduty of care\b|\bduty to\b"),
    ("tariff-man", r"\btariff man\b"),
    ("for-or-against", r"\b(?:anti|pro)-(?:tariffs?|trade)\b"),
    ("zh-trade-war", r"【?(?:关税战|贸易战|关税大战)】?"),
    ("trade-war", r"\b(?:tariff|trade) (?:wars?|fights?|battles?|disputes?|rows?|tensions|spats?|standoffs?|"
                  r"conflicts?)\b"),
    ("price-moves", r"\bprices? (?:increases?|hikes?|rises?|cuts?|jumps?)\b|\binterest[- ]rate (?:cuts?|hikes?)\b"),
)

# --- Measures: the nouns (and noun phrases) of a tariff or an export control. -------------------
# Goods of the bilingual vocabulary as one alternation per language (for deals struck on goods).
_GOODS_EN = "|".join(re.escape(phrase.lstrip("=")) for _, phrases, _ in vocabulary.PRODUCTS for phrase in phrases)
_GOODS_ZH = "|".join(f"(?:{zh})" for _, _, zh in vocabulary.PRODUCTS)
TARIFF_MEASURES = rules(
    ("tariff", r"\btariffs?\b|\btariff-rate\b|\bsurtax(?:es)?\b|\bimport surcharges?\b", "tariff|surtax|surcharge"),
    ("duties", r"\bduties\b|\b(?:import|export|customs|additional|extra|anti-?dumping|countervailing|"
               r"retaliatory|punitive|provisional|definitive|safeguard|protective|232|301)\s+duty\b|"
               r"\bduty\s+(?:on|of|rates?|order|hikes?|increases?|for|tied|linked|related)\b|\bduty-free\b|"
               r"\b(?:lower|cut|rais|hik|reduc|halv|doubl|trim|slash)\w*\s+(?:[\w'’-]+\s+){0,3}?duty\b|"
               r"\d(?:\.\d+)? ?(?:%|percent|per cent|pc)\s+(?:[\w-]+\s+)?duty\b", "dut"),
    ("levy", r"\blev(?:y|ies|ied)\b|\bimport tax(?:es)?\b|\bborder tax\b|"
             r"\btax(?:es)? on (?:[\w'’-]+\s+){0,3}?(?:imports?|goods|trade|products|shipments)\b|"
             r"\btax(?:es|ed|ing)?\s+(?:[\w'’-]+\s+){0,3}?(?:imports?|imported)\b|"
             r"\btax(?:es|ed|ing)?\s+(?:[\w'’-]+\s+){1,4}?at \d+(?:\.\d+)? ?(?:%|per ?cent|percent)", "lev|tax"),
    ("anti-dumping", r"\banti-?dumping\b|\bdumped\b|\bless[- ]than[- ]fair[- ]value\b", "dump|fair"),
    ("countervailing", r"\bcountervailing\b|\banti-?subsidy\b", "countervail|subsid"),
    ("safeguard", r"\bsafeguards? (?:measures?|dut|tariff|quota|regime|replacement|mechanism|action|system)|\bpositive adjustment to competition from imports\b", "safeguard|adjustment"),
    ("trade-statute", r"\bsection\s+(?:232|301|201|122|338)\b|\bIEEPA\b|\bbalance[- ]of[- ]payments\b|"
                      r"\btrade expansion act\b|\btrade act of 1974\b|\binternational emergency economic powers\b",
     "section|ieepa|balance|expansion|1974|emergency"),
    ("adjusting-imports", r"\badjusting imports of\b", "adjusting"),
    # The White House's words for a national-security import action (Section 232): "Takes Action on
    # Certain … to Protect America's … National Security".
    ("national-security-action", r"\b(?:takes?|taking) action on (?:imports of )?[\w\s,'’-]{0,60}?\bto protect\b"
                                 r"[^.;:]{0,50}\bnational security\b", "action"),
    ("de-minimis", r"\bde minimis\b", "minimis"),
    # A rate capped by a deal: "15% ceiling on most goods", "caps tariffs … at 15%".
    ("tariff-ceiling", r"\b\d+(?:\.\d+)? ?(?:%|percent|per cent)\s+(?:tariff\s+)?(?:ceiling|cap)\b|"
                       r"\b(?:ceiling|cap) of \d+(?:\.\d+)? ?(?:%|percent|per cent)", "ceiling|cap"),
    ("trade-remedy", r"\btrade remed(?:y|ies)\b|\bremedy\b", "remed"),
    ("tariff-exclusions", r"\b(?:product|tariff) exclusions?\b", "exclusion"),
    ("trade-threat", r"\btrade threats?\b", "threat"),
    # Countermeasures on goods are retaliatory duties ("EU countermeasures on US goods suspended").
    ("countermeasures-on-goods", r"\bcountermeasures? (?:on|against) (?:[\w$€£.,'’-]+ ){0,5}?(?:goods|imports|products|exports)\b",
     "countermeasure"),
    # Implementing a trade agreement changes the duties it covers ("Implementing the … Agreement").
    ("implementing-agreement", r"(?:^implementing|\bimplement(?:s|ed)|\b(?:modifications?|amendments?|regulations?|proclamation|"
                               r"order|rule|notice)\b[^.;:]{0,80}\bto implement)\b[^.;:]{0,60}?\b(?:trade )?(?:agreements?|deals?|"
                               r"frameworks?|arrangements?)\b", "implement"),
    # A deal struck on goods is an arrangement of their duties ("… reach deal on EVs and canola").
    ("goods-deal", r"\b(?:reach(?:es|ed)?|strik(?:e|es)|struck|seal(?:s|ed)?|clinch(?:es|ed)?|sign(?:s|ed)?|ink(?:s|ed)?)\b"
                   r"[^.;:]{0,40}\b(?:deal|agreement|pact|accord)s? (?:on|over|covering)\b[^.;:]{0,30}?"
                   rf"\b(?:{_GOODS_EN})\b(?!\s+(?:investments?|cooperation|supply|supplies|research|production|"
                   r"manufacturing|subsidies|projects?|plants?|factories)\b)", "deal|agreement|pact|accord"),
)
TARIFF_MEASURES_ZH = rules(
    ("zh-tariff", r"关税|加征|征税|进口税|税率|附加税|惩罚性税|报复性税|加税", "关税|加征|征税|进口税|税率|附加税|惩罚性税|报复性税|加税"),
    ("zh-anti-dumping", r"反倾销|倾销", "倾销"),
    ("zh-countervailing", r"反补贴", "反补贴"),
    ("zh-safeguard", r"保障措施", "保障措施"),
    ("zh-deposit", r"保证金", "保证金"),
    ("zh-exclusion-list", r"排除清单", "排除清单"),
    ("zh-trade-statute", r"(?:232|301|122|201)(?:条款|关税|措施)|国际收支|国际紧急经济权力法", "条款|关税|措施|国际"),
    ("zh-tariff-quota", r"关税配额|配额外", "配额"),
    ("zh-de-minimis", r"小额(?:包裹)?(?:免税|豁免)|最低限度豁免|免税门槛", "小额|最低限度|免税门槛"),
    ("zh-goods-deal", rf"(?:达成|签署)[^，。；]{{0,12}}(?:协议|协定)[^，。；]{{0,12}}(?:{_GOODS_ZH})|"
                      rf"(?:就|在)(?:{_GOODS_ZH})[^，。；]{{0,12}}达成[^，。；]{{0,6}}(?:协议|协定)", "协议|协定"),
)

_CONTROLLED = (r"(?:rare[- ]earths?|gallium|germanium|antimony|graphite|tungsten|tellurium|bismuth|"
               r"molybdenum|indium|lithium|cobalt|magnets?|critical minerals?|superhard materials?|"
               r"chips?|microchips?|semiconductors?|chipmaking|chip-making|technology|tech|AI|"
               r"advanced computing|dual-use items?|drones?|battery technolog\w*|memory|HBM)")
_RESTRICT_VERB = (r"(?:ban|bans|banned|banning|bar|bars|barred|barring|restrict|restricts|restricted|"
                  r"restricting|curb|curbs|curbed|curbing|limit|limits|limiting|halt|halts|halted|"
                  r"halting|tighten|tightens|tightened|tightening|suspend|suspends|suspended|block|blocks|"
                  r"blocked|prohibit|prohibits|prohibited|prohibiting|control|controls|stop|stops|cut off|"
                  r"cuts off|freeze|freezes|loosen|loosens|ease|eases|eased|relax|relaxes|lift|lifts)")
EXPORT_MEASURES = rules(
    ("export-control", r"\bexport[- ]controls?\b|\bexport[- ]controlled\b", "export"),
    ("export-restriction", r"\bexport (?:restrictions?|curbs?|bans?|limits?|licen[cs]es?|licen[cs]ing|"
                           r"permits?|privileges|embargo|rules?|regime|approvals?|checks|quotas?)\b", "export"),
    ("restrict-exports", rf"\b{_RESTRICT_VERB}\b[\w\s,'’\-]{{0,40}}?\bexports?\b", "export"),
    ("restrict-controlled-sales", rf"\b{_RESTRICT_VERB}\b[\w\s,'’\-]{{0,20}}?\b(?:sales|shipments|supplies|shipping|selling|supplying|deliveries)\b"
                                  rf"[^.;:]{{0,30}}{_CONTROLLED}\b", "sale|shipment|shipping|suppl|selling|deliver"),
    ("restrictions-on-exports", r"\b(?:restrictions?|curbs?|controls?|limits?|bans?|prohibitions?)\s+on\s+(?:the\s+)?"
                                r"(?:[\w\-]+\s+){0,3}exports?\b", "export"),
    ("export-x-controls", r"\bexports?,[\w\s,()\-]{0,50}\bcontrols?\b", "export"),
    ("restrictions-on-controlled-goods", rf"\b(?:restrictions?|curbs?|controls?|limits?|bans?|prohibitions?)\s+(?:on|for)\s+"
                                         rf"(?:[\w\-]+\s+){{0,3}}{_CONTROLLED}\b(?![\s-]+(?:makers?|manufacturers?|companies|firms|"
                                         r"producers?|suppliers?|entities)\b)", "restriction|curb|control|limit|ban|prohibition"),
    ("entity-list", r"\bentit(?:y|ies) list\b|\bunverified list\b|\bunreliable entit(?:y|ies)\b|"
                    r"\bblack ?list(?:s|ed|ing)?\b|\b(?:export )?control list\b|\bmilitary end[- ]users? list\b", "list|entit"),
    ("add-to-list", r"\badd(?:s|ed|ing)?\b[^.;:]{0,40}\b(?:companies|entities|firms|affiliates|entries|"
                    r"organi[sz]ations)\b[^.;:]{0,25}\bto\b[^.;:]{0,30}\blist\b", "list"),
    ("ear", r"\bexport administration regulations\b", "regulations"),
    ("dual-use", r"\bdual[- ]use\b", "dual"),
    ("licensing", r"\blicen[cs]e (?:requirements?|review policy|review|applications?|exceptions?)\b|"
                  r"\b(?:licen[cs]es?|permits?) (?:to|for) (?:the )?(?:exports?|exporting|ship|shipments|sell|sales)\b|"
                  r"\blicen[cs]ing (?:requirements?|regime|measures|facilitation|system|rules)\b|"
                  r"\bvalidated end[- ]users?\b|\bVEU\b|\bforeign[- ](?:produced )?direct product rules?\b|"
                  r"\bend[- ]use controls?\b|\bdenying export privileges\b|\bdenial order\b|"
                  r"\btemporary general licen[cs]e\b|\bis[- ]informed['’\"”]?\s+letters?\b",
     "licen|permit|end-use|end use|end-user|end user|privilege|denial|direct product|veu|informed"),
    ("tech-access", r"\b(?:curb|curbs|curtail|curtails|restrict|restricts|limit|limits|block|blocks|"
                    r"cut off|cuts off|choke|chokes|squeeze|squeezes)\b[\w\s'’,\-]{0,40}\baccess to\b"
                    rf"[\w\s\-]{{0,20}}{_CONTROLLED}|\bcut(?:s|ting)? (?:[\w-]+ ){{0,3}}?off from\b[\w\s\-]{{0,20}}{_CONTROLLED}",
     "access|off from"),
    ("controlled-goods-squeeze", rf"\b{_RESTRICT_VERB}\b[^.;:]{{0,40}}\b(?:rare[- ]earths?|gallium|germanium|"
                                 r"antimony|graphite|tungsten|critical minerals?|superhard materials?)\b", "rare|gallium|germanium|antimony|graphite|tungsten|mineral|superhard"),
    ("goods-controls", rf"\b{_CONTROLLED}[\w\s\-]{{0,35}}\b(?:controls|control measures|curbs|restrictions|bans?|"
                       r"prohibitions?)\b", "control|curb|restriction|ban|prohibition"),
    ("embargo", r"\bembargo(?:es|ed)?\b", "embargo"),
    # Export rules known by their names ("the AI diffusion rule", "AI chip export framework").
    ("named-export-rule", r"\b(?:AI |artificial intelligence )?diffusion (?:rule|framework)s?\b|"
                          r"\b(?:chip|AI chip|AI) export (?:framework|rule)s?\b", "diffusion|export"),
    # Exports of controlled goods resumed ("resumes rare earth exports … under licences").
    ("exports-resumed", rf"\b(?:resum|restart)\w*\b[^.;:]{{0,20}}{_CONTROLLED}[^.;:]{{0,10}}\bexports?\b|"
                        rf"\b(?:resum|restart)\w*\b[^.;:]{{0,10}}\bexports? of\b[^.;:]{{0,20}}{_CONTROLLED}", "resum|restart"),
    # Rules on chips are export rules ("tightens advanced computing chip rules").
    ("chip-rules", r"\b(?:chips?|semiconductors?|advanced computing|chipmaking|chip-making|GPUs?|AI chips?)\s+"
                   r"(?:[\w-]+\s+){0,2}?(?:rules|regulations)\b", "rules|regulations"),
    # Shipments abroad are exports ("to halt bauxite ore shipments abroad").
    ("restrict-shipments-abroad", rf"\b{_RESTRICT_VERB}\b[\w\s,'’\-]{{0,30}}?\b(?:shipments|sales|shipping|selling|supplies)\s+"
                                  r"(?:abroad|overseas|to foreign buyers)\b", "abroad|overseas|foreign"),
    # Companies ordered to stop selling to a country's buyers ("… orders EDA firms to stop shipping to …").
    ("ordered-to-stop-sales", r"\b(?:orders?|ordered|tells?|told|requires?|required|instructs?|instructed)\b[^.;:]{0,40}?"
                              r"\bto (?:stop|halt|cease|suspend)\s+(?:shipping|selling|supplying|sales|shipments|exports?|"
                              r"exporting|deliveries)\b", "stop|halt|cease|suspend"),
    # Servicing controlled equipment abroad stopped ("… to halt maintenance of chip tools in China").
    ("service-ban", r"\b(?:stop|halt|cease|suspend|ban|bar|restrict|end)\w*\s+(?:[\w-]+\s+){0,2}?(?:servicing|maintenance|"
                    r"maintaining|repairs?|spare parts|technical support|after-sales service)\b[^.;:]{0,40}?"
                    r"\b(?:machines?|tools?|equipment|systems?|scanners?|lithography|chips?|semiconductors?)\b",
     "servic|mainten|maintain|repair|spare|support|after-sales"),
    ("controls-on-items", r"\b(?:controls?|restrictions?)\s+on\s+(?:certain\s+|additional\s+)?(?:items|commodities|"
                          r"software|technolog(?:y|ies))\b", " on "),
    # A licence decision: granted, revoked, required, approved … for goods or sales abroad.
    ("licence-decision", r"(?:\b(?:licen[cs]es?|waivers?|authori[sz]ations?)\b[^.;:]{0,30}\b(?:granted|revoked|approved|denied|required|suspended|"
                         r"cancell?ed|issued|pulled)\b|\b(?:grant(?:s|ed)?|revok(?:es|ed)|approv(?:es|ed)|den(?:ies|ied)|"
                         r"issu(?:es|ed)|suspend(?:s|ed)|cancel(?:s|led)?|requir(?:e|es|ed)|pull(?:s|ed)|yank(?:s|ed)?|end(?:s|ed)?|"
                         r"strip(?:s|ped)?|withdr(?:aws?|ew|awn)|rescind(?:s|ed)?|renew(?:s|ed)?)\b"
                         r"[^.;:]{0,40}\b(?:licen[cs]es?|waivers?|authori[sz]ations?|VEU status|validated end[- ]user status)\b)(?=.*\b(?:exports?|sell|sales|ship\w*|suppl\w*|chips?|chipmak\w*|fabs?|"
                         r"semiconductors?|technolog\w*|gpus?|rare earths?|minerals?|magnets?|tools?|equipment|gallium|germanium|antimony|"
                         r"graphite|tungsten|drones?|huawei|smic|zte|ymtc|cxmt|nvidia|amd|intel|qualcomm|micron|samsung|hynix|tsmc|asml)\b)", "licen|waiver|authori|veu|end-user|end user"),
    # An export authorisation: a sale, shipment or transfer of controlled goods approved or cleared.
    ("export-approval", r"\b(?:approv(?:e|es|ed|al)|clear(?:s|ed)?|oks|ok's|ok'd|okays?|okayed|authori[sz](?:e|es|ed)|"
                        r"greenlights?|green-lights?|allow(?:s|ed)?|permit(?:s|ted)?|let(?:s|ting)?)\b[^.;:]{0,60}\b(?:chips?|"
                        r"semiconductors?|chipmaking|chip-making|tools?|equipment|technolog(?:y|ies)|gpus?|processors?|"
                        r"accelerators?|nvidia|amd|h\d{2,3}[a-z]?|rare[- ]earths?|magnets?|gallium|germanium|antimony|graphite|"
                        r"critical minerals?)\b[^.;:]{0,40}\b(?:to|for|into|sales?|shipments?|exports?)\b|"
                        r"\bapproval to (?:ship|bring|sell|export|send|supply)\b|"
                        r"\b(?:gets?|got|wins?|won|receives?|received|secures?|secured) (?:the |a |US |Washington's )?"
                        r"(?:nod|go-ahead|green light|approval|OK|permission|clearance) (?:to|for) (?:resume |restart )?(?:[\w-]+ ){0,3}?"
                        r"(?:sell\w*|ship\w*|export\w*|suppl\w*|sales|shipments|deliver\w*)\b", "chip|semic|tool|equip|techn|gpu|proce|accel|nvidia|amd|h|approval|rare|magnet|gallium|germanium|antimony|graphite|mineral"),
    # A rule widening or suspending the reach of a list (affiliates of listed parties, 50% ownership).
    ("list-reach", r"\baffiliates? rule\b|\b50 ?(?:%|percent|per cent) (?:ownership )?rule\b|\bownership rule\b|"
                   r"\b(?:affiliates|subsidiaries) of (?:certain |blacklisted |listed |sanctioned )?(?:[\w-]+ ){0,2}"
                   r"(?:entities|firms|companies|parties)\b|"
                   r"\b(?:entity list|control list|blacklist) (?:rule|expansion|extension)\b|"
                   r"\b(?:blacklists?|entity list|export controls?|restrictions|curbs)\b[^.;:]{0,30}\bto (?:their |its )?(?:subsidiaries|affiliates)\b",
     "rule|expansion|extension|affiliates|subsidiaries"),
    # Decisions of the multilateral export-control regimes, implemented in national lists.
    ("multilateral-regime", r"\bwassenaar\b|\bmissile technology control regime\b|\bMTCR\b|\baustralia group\b|"
                            r"\bnuclear suppliers group\b", "wassenaar|missile|mtcr|australia|nuclear"),
    ("countermeasure-list", r"\bcountermeasures? list\b|\bsanctions? list\b|\bwatch ?list\b", "list"),
    # Sanctions on a number of named kinds of party: a listing ("… sanctions 50 Japanese companies").
    ("sanctions-listing", r"\bsanction(?:s|ed|ing)?\s+(?:\d+|dozens of|several|more)\s+(?:[\w-]+\s+){0,2}?"
                          r"(?:companies|firms|entities|defen[cs]e (?:firms|companies|contractors)|contractors|makers)\b|"
                          # restrictions on a number of companies are a listing too
                          r"\b(?:restrictions|curbs|controls)\s+on\s+(?:\d+|dozens of|several)\s+(?:[\w-]+\s+){0,3}?"
                          r"(?:companies|firms|entities|makers|manufacturers|suppliers|producers)\b",
     "sanction|restriction|curb|control"),
    # Easing an export control: an exemption from a ban, an export thaw.
    ("export-easing", r"\bexport (?:thaw|easing|reprieve|relief|waivers?|exemptions?)\b|"
                      r"\bexempt\w*\b[^.;:]{0,40}\bfrom (?:the |an? |its )?(?:[\w-]+ ){0,2}"
                      r"(?:bans?|controls?|curbs?|restrictions?)\b", "export|exempt"),
)
EXPORT_MEASURES_ZH = rules(
    ("zh-export-control", r"出口管[制控]|管制物项|管控名单|管制清单|管制措施", "管制|管控"),
    ("zh-entity-list", r"实体清单|不可靠实体|未经核实清单|军事最终用户清单", "实体|未经核实|军事最终用户"),
    ("zh-dual-use", r"两用物项", "两用物项"),
    ("zh-export-licence", r"出口许可|经验证(?:的)?最终用户|最终用户(?:资格|审查|清单|名单)|"
                          r"出口[^，。；]{0,6}(?:须|需|需要|必须|应当)[^，。；]{0,4}许可", "许可|最终用户"),
    ("zh-ordered-to-stop-sales", r"(?:要求|命令|责令)[^，。；]{0,12}停止(?:向|对)[^，。；]{0,10}(?:供货|出售|销售|出口|供应)",
     "停止"),
    ("zh-service-ban", r"(?:停止|暂停|禁止|限制)[^，。；]{0,16}(?:光刻机|半导体设备|芯片设备|设备)[^，。；]{0,6}(?:维护|维修|售后|技术支持)|"
                       r"(?:停止|暂停|禁止|限制)[^，。；]{0,6}(?:维护|维修|售后服务|技术支持)[^，。；]{0,10}(?:光刻机|设备)", "维护|维修|售后|技术支持"),
    ("zh-export-ban", r"出口禁令|出口限制|禁运|断供|出口(?:新规|新规定|管理规定|管理办法|审查|审批)|(?:禁止|限制|暂停|放宽|加强|收紧|严控|管控|停止|恢复|批准|允许|准许|豁免)[^，。；！？]{0,20}出口|"
                      r"出口[^，。；！？]{0,6}(?:松绑|解禁|放行|豁免)", "出口|禁运|断供"),
    ("zh-export-list", r"反制清单|反制名单|关注名单|(?:50%|穿透性?|子公司)规则|扩散规则|出口管制框架", "反制|关注|规则|框架"),
    ("zh-licence-decision", r"(?:颁发|发放|批准|吊销|撤销|暂停|收紧)[^，。；]{0,16}(?:出口)?许可|(?:须|需|需要|必须)(?:申请|取得|获得)?(?:出口)?许可|(?:获准|获批)[^，。；]{0,12}(?:出售|销售|出口|供应)|(?:撤销|吊销|取消|终止)[^，。；]{0,20}(?:豁免|授权)|"
                            r"(?:允许|批准|准许)[^，。；]{0,20}(?:出售|销售|供应)[^，。；]{0,10}(?:芯片|半导体|H\d+|稀土|技术|设备)",
     "许可|允许|批准|准许|豁免|授权|获准|获批"),
    ("zh-technology-control", r"(?:技术|物项|稀土|镓|锗|锑|石墨|钨|芯片|半导体)[^，。]{0,6}管制|禁止出口限制出口技术", "管制|禁止出口"),
    ("zh-multilateral-regime", r"瓦森纳|导弹及其技术控制制度|澳大利亚集团|核供应国集团", "瓦森纳|导弹|澳大利亚集团|核供应国"),
)
MEASURES = {"tariff": TARIFF_MEASURES + TARIFF_MEASURES_ZH,
            "export_control": EXPORT_MEASURES + EXPORT_MEASURES_ZH}
MEASURES_EN = {"tariff": TARIFF_MEASURES, "export_control": EXPORT_MEASURES}
# Measure rules specific enough that two reports naming the same one name the same kind of measure.
SPECIFIC_MEASURES = frozenset(rule.name for rules_ in MEASURES.values() for rule in rules_) - {
    "tariff", "duties", "levy", "export-control", "export-restriction", "restrict-exports",
    "restrictions-on-exports", "goods-controls", "zh-tariff", "zh-export-control", "zh-export-ban"}

# --- Actions: a measure being announced, imposed, changed or threatened. -------------------------
ACTIONS = rules(
    ("act-impose", r"\b(?:impos(?:e|es|ed|ing)|slap(?:s|ped|ping)?|levie[sd]|sets?(?! to\b| for\b)|setting|"
                   r"(?<=\bwill )tax|(?<=\bto )tax|tax(?:es|ed)(?= (?:[\w'’-]+ ){0,3}(?:imports?|imported|goods|products|made))|"
                   r"hits?\b[^.;:]{0,40}\bwith|enact(?:s|ed)?|introduc(?:e|es|ed|ing)|matches|takes? action|"
                   r"(?:fires?|hits?|strikes?|answers?|responds?|retaliates?)(?: back)? with)\b"),
    ("act-raise", r"\b(?:rais(?:e|es|ed|ing)|hik(?:e|es|ed|ing)|increas(?:e|es|ed|ing)|boost(?:s|ed)?|"
                  r"doubl(?:e|es|ed)(?!-digit)|tripl(?:e|es|ed)(?!-digit)|escalat(?:e|es|ed|ing)|expand(?:s|ed|ing)?|expansion|"
                  r"widen(?:s|ed)?|broaden(?:s|ed)?|tighten(?:s|ed|ing)?|extend(?:s|ed|ing)?|extension)\b"),
    ("act-ease", r"\b(?:cut(?:s|ting)?|lower(?:s|ed|ing)?|reduc(?:e|es|ed|ing)|slash(?:es|ed)?|halv(?:e|es|ed|ing)|trim(?:s|med|ming)?|"
                 r"roll(?:s|ed|ing)?[- ]?back|rollback|suspend(?:s|ed|ing)?|suspension|paus(?:e|es|ed)|"
                 r"delay(?:s|ed)?|postpon(?:e|es|ed)|exempt(?:s|ed|ing)?|exclud(?:e|es|ed)|scrap(?:s|ped)?|"
                 r"drop(?:s|ped|ping)?|abandon(?:s|ed|ing)?|"
                 r"remov(?:e|es|ed|ing)|terminat(?:e|es|ed|ing)|termination|waiv(?:e|es|ed)|lift(?:s|ed)?|"
                 r"eas(?:e|es|ed|ing)|relax(?:es|ed)?|revok(?:e|es|ed)|revocation|rescind(?:s|ed)?|withdr(?:aws?|ew|awn)|"
                 r"resum(?:e|es|ed|ing)|"
                 r"(?:end(?:s|ed|ing)?|strip(?:s|ped)?)(?=\s+(?:(?:the|its|their|his|all|most|some|[\w-]+['’]s)\s+)?(?:(?!(?:without|with|on|in|of|over|for|to|at|after|before)\b)[\w'’-]+\s+){0,2}?(?:tariffs?|duties|levies|exemptions?|"
                 r"waivers?|status|bans?|controls?|curbs?|restrictions?|licen[cs]es?|suspension|pause|truce|quotas?)\b))\b"),
    ("act-announce", r"\b(?:announc(?:e|es|ed|ing)|unveil(?:s|ed)?|outlin(?:e|es|ed)|issu(?:e|es|ed|ing)|"
                     r"publish(?:es|ed)?|finali[sz](?:e|es|ed)|adopt(?:s|ed)?|approv(?:e|es|ed)|"
                     r"implement(?:s|ed|ing)?|implementation|launch(?:es|ed)?|order(?:s|ed)?|sign(?:s|ed)?|"
                     r"decision|decides?|modif(?:y|ies|ied|ying|ication)|adjust(?:s|ed|ing)?|"
                     r"revis(?:e|es|ed|ion|ions)|amend(?:s|ed|ment|ments)?|reinstat(?:e|es|ed)|"
                     r"restor(?:e|es|ed)|require(?:s|d)?|requiring|assessed|collect(?:s|ed|ing)?|"
                     r"charg(?:e|es|ed|ing)|grant(?:s|ed|ing)?|allow(?:s|ed|ing)?|let(?:s)?)\b"),
    ("act-threaten", r"\bthreat(?:en|ens|ened|ening)?\b"),
    # "bans", "curbs", "limits" … are verbs only with an object after them ("China curbs exports"),
    # not as nouns ("US chip curbs", "curbs on exports").
    ("act-restrict", r"(?<!\bexport )(?<!\bimport )(?<!\btravel )\b(?:ban(?:ned|ning)?|barred|block(?:ed|ing)?|prohibit(?:s|ed|ing)?|restrict(?:s|ed|ing)?|"
                     r"curb(?:ed|ing)?|curtail(?:s|ed)?|limiting|halt(?:ed|ing)?|needs? (?:an? )?(?:export )?"
                     r"licen[cs]es?|(?:orders?|ordered|tells?|told|instructs?|instructed|forces?|forced)\s+(?:[\w'’-]+\s+){1,3}?to (?:stop|halt|cease|suspend|end)|"
                     r"stop(?:s|ped)\b(?!\s+short))\b|\b(?:bans|bars|blocks|curbs|limits|halts)\b(?!\s+(?:on|against|over|in|for|"
                     r"to|will|would|could|are|were|have|has|and)\b)(?=\s+[\w$])"
                     r"(?<!\bchip bans)(?<!\bchip curbs)(?<!\bexport bans)(?<!\bexport curbs)(?<!\bUS curbs)"
                     r"(?<!\bUS bans)(?<!\bnew curbs)(?<!\btech curbs)(?<!\btrade curbs)"),
    ("act-list", r"\badd(?:s|ed|ing)?\b|\b(?:lands?|placed|put|added) (?:on|to)\b|\bblacklist(?:s|ed)\b"),
    ("act-effect", r"\b(?:take|takes|took|taking) effect\b|\b(?:go|goes|went|going) into effect\b|"
                   r"\b(?:come|comes|came|coming|enter|enters|entered) into force\b|\bkick(?:s|ed)? in\b|"
                   r"\bbegin(?:s|ning)?\b|\bbegan\b|\bstart(?:s|ed|ing)?\b|\bin effect\b|\beffective\b"),
    ("act-deal", r"\b(?:reach(?:es|ed)?|strik(?:e|es)|struck|seal(?:s|ed)?|clinch(?:es|ed)?|sign(?:s|ed)?|"
                 r"agree(?:s|d)? (?:on|to)|ink(?:s|ed)?)\b[^.;:]{0,40}\b(?:deal|agreement|pact|accord)s?\b"),
    ("act-new", r"\bnew\b[\w\s\-']{0,25}\b(?:tariffs?|duties|levies|controls?|restrictions|curbs|rules|"
                r"limits|bans?)\b"),
)
ACTIONS_ZH = rules(
    ("zh-act-announce", r"发布|公布|宣布|决定|公告|施行|印发"),
    ("zh-act-impose", r"实施|征收|加征|开征|扬言|禁运|断供|提高|上调|加强|收紧|严控|扩大|列入|纳入|禁止|限制|裁定|反制|(?:须|需|必须)(?:申请|取得)"),
    ("zh-act-ease", r"暂停|停止|取消|延长|延期|下调|降低|调整|豁免|排除|放宽|移出|恢复|撤销|吊销|终止|废除|解除|暂缓"),
    ("zh-act-effect", r"生效|起施行|起实施|起执行|即日起|起征|落地"),
)
# Announcing verbs strong enough to outweigh a Chinese soft veto (回应, 解读 …): the measure is news.
ZH_ANNOUNCE = re.compile(r"发布|公布|宣布|决定|(?:扬言|威胁|誓言)(?:将|要|对|再)?(?:加征|征收|实施|对)")   # a threat is news too
# An investigation's outcome (final ruling, levy, measures) is a measure; its opening is not.
ZH_INVESTIGATION_OUTCOME = re.compile(r"裁定|终裁|裁决|征收|实施|措施|决定")
# Talks whose outcome is a tariff change (…联合声明：双方大幅降低关税): the change is the news.
ZH_TALKS_OUTCOME = re.compile(r"(?:降低|下调|取消|削减|互降|暂停|停止)[^，。；]{0,6}(?:关税|加征)|"
                              r"(?:关税|加征)[^，。；]{0,4}(?:降至|降低|下调|取消|上限)")
INVESTIGATION_OUTCOME = re.compile(r"\bnotice of action\b|\b(?:final|affirmative) (?:determinations?|rulings?|"
                                   r"decisions?)\b|\bactions? (?:in|under|following|after)\b|\bconclud(?:es|ed)\b", I)
ZH_IMPOSING = frozenset({"zh-act-impose", "zh-act-ease"})
# Verbs that act on a measure (impose, raise, cut, ban, add to a list, threaten) outweigh every soft
# veto; announcing words (announce, issue, take effect, "new …") outweigh only the weaker ones.
IMPOSING = frozenset({"act-impose", "act-raise", "act-ease", "act-threaten", "act-restrict", "act-list"})
ANNOUNCING = frozenset({"act-announce", "act-effect", "act-new", "act-deal"})

# Official sources (government bodies and hosts) and the clause patterns (context, possession, lead
# clause, summary hints, opinion sources) live with the vocabulary; re-exported here.
from tradewatch.understand.vocabulary import (  # noqa: E402,F401
    CONTEXT_CLAUSE, LEAD_CLAUSE_END, OFFICIAL_HOST, OFFICIAL_SOURCE, OPINION_SOURCE, POSSESSED_MEASURE,
    SOURCE_NAME_HEAD, SUMMARY_HINT)


# Export-control measures that list parties, and those that control goods: a report of one kind
# and a report of only the other kind are two announcements.
LISTING_MEASURES = frozenset({"entity-list", "add-to-list", "zh-entity-list", "countermeasure-list", "zh-export-list",
                              "sanctions-listing"})
GOODS_MEASURES = frozenset({"restrict-exports", "restrictions-on-exports", "restrict-controlled-sales",
                            "restrictions-on-controlled-goods", "controlled-goods-squeeze", "goods-controls",
                            "tech-access", "zh-export-ban", "zh-dual-use", "zh-technology-control", "export-easing"})
# Kinds of trade remedy (by measure rule); two titles naming different kinds name different proceedings.
REMEDY_KINDS = {"anti-dumping": "anti-dumping", "zh-anti-dumping": "anti-dumping",
                "countervailing": "countervailing", "zh-countervailing": "countervailing",
                "safeguard": "safeguard", "zh-safeguard": "safeguard"}
