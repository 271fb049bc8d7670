"""Vetoes as data: what only talks about a measure (markets, statistics, courts, reactions,
routine notices, analysis), in English and Chinese. Hard vetoes always win; a soft veto gives way
when the title itself announces strongly enough (`SOFT_OVERRIDE`: a verb acting on the measure or
a rate, or also announcing words). Chinese text is matched after `to_simplified`. Rules are built
with `lexicon.rules`, so each has its cheap screen and reports its name. Pure data, no I/O.
"""
from __future__ import annotations

from tradewatch.understand.lexicon import rules

# Which evidence each soft veto gives way to: "impose" (imposing verb or a rate) or "announce" (also
# announcing words). Chinese soft vetoes give way only to ZH_ANNOUNCE.
SOFT_OVERRIDE = {"soft-reaction": "impose", "soft-verdict": "impose", "soft-investigation": "impose", "soft-speculation": "impose",
                 "soft-opinion": "impose", "soft-attribution": "announce", "soft-talks": "announce",
                 "soft-impact": "announce", "soft-analysis": "announce", "soft-question": "impose",
                 "soft-legal": "announce", "soft-later": "impose"}

# --- Vetoes. Hard ones always win; soft ones give way when the title itself announces a measure. -
HARD_VETOES = rules(
    ("veto-market", r"\b(?:stocks?|shares|wall street|dow|s&p|nasdaq|ftse|hang seng|sensex|nifty|"
                    r"equit(?:y|ies)|bonds?|(?:bond|treasury|\d+-year) yields?|yields (?:rise|rose|fall|fell|jump|climb|slip|drop)|futures|markets|investors?|traders?|sell-?off|rall(?:y|ies)|"
                    r"rout|stock market|NYSE|earnings|(?:shipping|freight|container) (?:rates|costs|prices)|profits?|revenues?|price targets?|rockets|soars|"
                    r"(?:dollar|euro|yuan|rupee|yen|peso|gold|oil) (?:prices?|falls|rises|slips|gains|jumps|"
                    r"weakens|strengthens|tumbles|surges))\b"),
    ("veto-statistics", r"\b(?:exports?|imports?|shipments|trade|sales|output|production|surplus|deficit|"
                        r"volumes?|traffic|cargo|orders|arrivals|throughput|prices|demand|growth)\s+(?:to\s+\w+\s+)?(?:rose|rise|rises|fell|fall|falls|jump(?:s|ed)?|"
                        r"slump(?:s|ed)?|grew|grow|grows|drop(?:s|ped)?|declin(?:e|es|ed)|surg(?:e|es|ed)|"
                        r"plung(?:e|es|ed)|climb(?:s|ed)?|shrink(?:s)?|shrank|soar(?:s|ed)?|tumbl(?:e|es|ed)|"
                        r"sink(?:s)?|sank|slow(?:s|ed)?|rebound(?:s|ed)?|hit record|beat|miss|up|down)\b|"
                        r"\btrade (?:surplus|deficit|data|figures|balance)\b|\bdata (?:show|shows|showed)\b|"
                        r"\byear[- ]on[- ]year\b|\by/y\b|\bPMI\b|\btrade gap\b|"
                        r"\b(?:deficit|surplus|gap) (?:narrows|widens|contracts|shrinks|swells)\b|"
                        r"\bcustoms data\b|\bstatistics\b"),
    ("veto-legal", r"\b(?:WTO|W\.T\.O|world trade organi[sz]ation|courts?|supreme court|SCOTUS|strikes down|struck down|judges?|justices|"
                   r"lawsuits?|sue|sues|sued|suing|legality|unconstitutional|rules against|ruled|verdict|"
                   r"litigation|tribunal|dispute settlement|oral arguments?|refunds?|refunded)\b"),
    ("veto-commentator", r"^(?:[\w'.-]+\s+){0,2}(?:economists?|analysts?|experts?|retailers?|farmers|"
                         r"automakers?|carmakers?|consumers|shoppers|investors|ceos?|executives?|importers|"
                         r"lobbyists?|unions?|democrats|republicans|critics|"
                         r"stud(?:y|ies)|surveys?|polls?|think tanks?)\b|"
                         # an industry speaking: "Canadian steelmakers say the levy is 'devastating'"
                         r"^(?:[\w'.-]+\s+){0,2}(?:\w+makers|producers|exporters|manufacturers|growers|businesses|"
                         r"industry|industries|shippers)\s+(?:say|says|said|warn|warns|fear|fears|fret|frets|worry|worried|fume|fumes|"
                         r"lament|laments|cheer|cheers|urge|urges|"
                         r"call|calls|welcome|welcomes|slam|slams|decry|decries)\b|"
                         # a legislature, unless it approves a measure ("lawmakers back levies on …")
                         r"^(?:[\w'.-]+\s+){0,2}(?:lawmakers|legislators|senators?)\b(?!\s+(?:approv\w*|backs?|backed|"
                         r"pass(?:es|ed)?|vot(?:e|es|ed) (?:for|to)|adopt(?:s|ed)?|green-?light\w*|sign(?:s|ed)? off)\b)|"
                         r"\b(?:ceo|chief executive|economists?|analysts?)\s+(?:says?|said|warns?|sees?|expects?)\b"),
    # A reaction whose object is the measure: "X slams/calls Y's tariff increase unjustified".
    ("veto-reaction-object", r"^(?:[\w'.’-]+\s+){1,4}?(?:slams?|condemns?|criticizes?|criticises?|denounces?|decries?|"
                             r"blasts?|rejects?|protests?|opposes?|calls?(?! for\b| on\b))\s+(?:[\w'’%.-]+\s+){0,5}?"
                             r"(?:tariffs?|dut(?:y|ies)|lev(?:y|ies)|curbs|controls|restrictions|bans?|listings?)\b(?:\s+(?:increases?|hikes?|moves?|"
                             r"decisions?|plans?))?(?:\s+(?:as\s+)?(?:unjustified|unreasonable|unfair|unacceptable|illegal|"
                             r"discriminatory|protectionist|bullying|a mistake)\b|$|\s*[,;:])|"
                             # "… calls the tariffs economic suicide": a verdict named with a noun
                             r"^(?:[\w'.’-]+\s+){1,4}?calls?\s+(?:[\w'’%.-]+\s+){0,5}?(?:tariffs?|dut(?:y|ies)|lev(?:y|ies)|curbs|"
                             r"controls|restrictions|bans?)\s+(?:an?\s+|the\s+)?(?:economic\s+|political\s+)?(?:suicide|"
                             r"mistake|blunder|disaster|theft|robbery|blackmail|coercion|sabotage|attack|weapon\w*)\b"),
    # A measure as the subject of its consequence: "truck tariffs will raise prices", "… says it can cope".
    ("veto-consequence", r"\b(?:tariffs?|duties|levies|curbs|controls|restrictions|bans?)\s+(?:will|would|could|may|might|"
                         r"to|set to|likely to|are set to|are likely to)\s+(?:raise|lift|boost|hurt|cost|weigh|drive|push|"
                         r"add|squeeze|dent|slow|crimp|erode|hammer|batter|fuel|spur)\b(?!\s+(?:to|by)\s+\d)|"
                         r"\bsays? (?:it|they) (?:can|could|will|would) (?:cope|weather|withstand|survive|absorb|"
                         r"handle|manage|shrug off)\b"),
    # An offer on a condition is no measure: "says he'll lower tariffs if …" (a threat on one is).
    ("veto-conditional-offer", r"\b(?:will|'ll|’ll|would|could|may)\s+(?:[\w-]+\s+){0,2}?(?:lower|cut|reduce|ease|lift|"
                               r"drop|remove|scrap|halve|suspend|roll back)\b[^.;:]{0,60}\b(?:if|once|provided|as long as)\b"),
    ("veto-foreign-ministry", r"\bforeign (?:ministry|minister|affairs)\b(?![^.;:]*\b(?:announces|imposes)\b)"),
    ("veto-explainer", r"\bwhat\b.{0,40}\bmeans? for\b|\bhere'?s (?:what|how|why|everything)\b|"
                       r"\bwhat (?:you|to) (?:need to )?know\b|\bexplained\b|\bexplainers?\b|"
                       r"\blive (?:updates?|blog)\b|\bas it happened\b|"
                       r"\bwhat (?:is|are) (?:the |an? |a so-called )?[\w\s'-]{0,30}\b(?:list|lists|rule|regime)\b|"
                       r"\bhow (?:does|do) [\w\s'-]{0,40}\bwork\b|\b(?:primer|faq|cheat sheet)\b"),
    # A denial is not a measure: "no plans to", "rules out".
    ("veto-denial", r"^no (?:new )?(?:[\w-]+ ){0,3}(?:tariffs?|duties|levies|controls)\b|\bno plans? to\b|\bnot plan(?:ning)? to\b|\bno intention\b|\brules? out\b|\bruled out\b|"
                    r"\bden(?:ies|ied) (?:reports?|plans?|it will|that)\b|\bstop(?:s|ped)? short of\b|\brefrain(?:s|ed)? from\b"),
    # Administering a tariff-rate quota is routine, in news too.
    ("veto-quota-administration", r"\bquota (?:allocations?|administration|fill(?:ed)?|reallocations?|certificates?|"
                                  r"applications?)\b|\bTRQ (?:allocations?|administration|fill)\b"),
    # Procedure: extending or prolonging a probe or its deadline is not a measure.
    ("veto-procedure", r"\b(?:extend(?:s|ed|ing)?|prolong(?:s|ed|ing)?)\b[^.;:]{0,40}\b(?:probes?|investigations?|"
                       r"inquiry|inquiries|reviews?|deadlines?)\b"),
    ("veto-opinion-title", r"^(?:opinion|op-ed|editorial|commentary|column|analysis|explainer|explained|"
                           r"factbox|fact box|q&a|viewpoint|view|letters?|podcast|timeline|live updates)\s*[:|\-–—]"),
    ("veto-routine", r"\binformation collection\b|\bcomment request\b|\brequest for (?:public )?comments?\b|"
                     r"\bpaperwork reduction\b|\bnotice of (?:public |open |closed )?meetings?\b|"
                     r"\b(?:public|open|closed|partially closed) meetings?\b|\bmeetings?;|;\s*meetings?\b|"
                     r"\bconference\b|\bwebinar\b|\bworkshop\b|\brecruitment\b|\bsunset reviews?\b|"
                     r"\bfive-year\b|\badministrative reviews?\b|\brescission\b|\bpreliminary results\b|"
                     r"\bfinal results\b|\binitiation of\b|\bscope (?:ruling|inquiry|inquiries)\b|"
                     r"\bcovered merchandise\b|\bpostponement\b|\bextension of time\b|\binterest rates?\b|"
                     r"\bannual report\b|\bwhite paper\b|\bquota allocations?\b|\bmaintenance window\b|"
                     r"\bACE (?:maintenance|outage|deployment|release|downtime|reports?|certification|functionality|enhancements?)\b|\bentry summary\b|"
                     r"\bpublication of a report\b|\breport on the effect\b|\bchanged circumstances review\b|"
                     r"\bopportunity to request\b|\bdelegation of authority\b|\bprivacy act\b|"
                     r"\bsunshine act\b|\bnominations\b|;\s*correction\b|^correction\b|\bcorrecting amendment\b|"
                     r"\bsystem of records\b|\bnew shipper review\b|\bnational emergency\b|\bnegative determinations?\b|"
                     r"\brefunds? of\b|\brefund of (?:[\w-]+ ){0,3}?(?:duties|tariffs)\b|"
                     # a proceeding ended without a measure; customs systems' codes and release
                     r"\bterminat(?:ing|es|ion of) (?:the |an? )?(?:[\w-]+ ){0,2}(?:proceedings?|investigations?|reviews?)\b|"
                     r"\bentry type codes?\b|\bcargo release\b|\bimplementation guide\b|\bCATAIR\b|"
                     r"\btechnical advisory committee|\bpublic hearing\b|"
                     # processing guidance: how to file, process or claim, not a measure
                     r"\bguidance\b[^.;]{0,20}\b(?:processing|filing|submitting|reporting|refunds?|claims?|"
                     r"post[- ]summary)\b|\b(?:processing|filing) (?:instructions|guidance)\b"),
)
HARD_VETOES_ZH = rules(
    ("veto-zh-market", r"股市|股价|A股|港股|美股|大盘|指数|涨停|跌停|收涨|收跌|大涨|大跌|暴跌|飙升|投资者|期货"),
    ("veto-zh-statistics", r"同比|环比|进出口总值|贸易顺差|贸易逆差|顺差|逆差|数据显示|前\d+个月|统计|"
                           r"跌幅|降幅|增幅|增速|按年|按月"),
    ("veto-zh-denial", r"无计划|没有计划|并无计划|无意|否认|不会(?:对|向)[^，。]{0,10}(?:征收|加征|实施)"),
    ("veto-zh-quota-administration", r"配额(?:分配|申请|管理)"),
    ("veto-zh-legal", r"世贸组织|世贸|WTO|法院|诉讼|起诉|专家组"),
    # A spokesperson answering about a *foreign* measure: a reaction, whatever the verbs.
    ("veto-zh-foreign-measure-reaction",
     r"就(?:美|美国|美方|欧盟|欧方|日本|日方|荷兰|加拿大|印度|英国|澳大利亚|墨西哥|韩国|外方)[^。]*?"
     r"(?:答记者问|发表谈话|谈话|回应|表态|评论)"),
    ("veto-zh-foreign-ministry", r"外交部(?![^。]*(?:宣布|决定))"),
    ("veto-zh-routine", r"例行记者会|例行新闻发布会|征求意见|延长[^，。]{0,20}调查|终止[^，。]{0,20}调查"),
)
SOFT_VETOES = rules(
    ("soft-reaction", r"\b(?:respond(?:s|ed)?|react(?:s|ed)?|reaction|slam(?:s|med)?|condemn(?:s|ed)?|"
                      r"critici[sz](?:e|es|ed)|blast(?:s|ed)?|denounc(?:e|es|ed)|decr(?:y|ies)|protest(?:s|ed)?|"
                      r"oppos(?:e|es|ed)|reject(?:s|ed)?|dismiss(?:es|ed)?|accus(?:e|es|ed)|lash(?:es)? out|"
                      r"hits? out|urg(?:e|es|ed)|calls? (?:on|for)|vow(?:s|ed)?|warn(?:s|ed)?|(?<!is-)(?<!is )inform(?:s|ed)|"
                      r"clash(?:es)?|lodg(?:e|es|ed)|representations|prais(?:e|es|ed)|welcom(?:e|es|ed)|"
                      r"applaud(?:s|ed)?|hail(?:s|ed)?|laud(?:s|ed)?|commend(?:s|ed)?|regret(?:s|ted)?|"
                      r"complain(?:s|ed)?|dissatisf(?:action|ied)|displeasure|(?:expresses|voices|raises) (?:grave |serious |deep )?concerns?|"
                      r"fires? back|push(?:es)? back|position on|spokes(?:man|woman|person))\b"),
    # A verdict on a measure or a practice: a reaction in news, the statute's words in an official title
    # ("Section 301 investigation of … unfair trading practices").
    ("soft-verdict", r"\b(?:unfair|unjustified|unreasonable|unacceptable|deplorable|regrettable|bullying|hypocritical|"
                     r"violat(?:e|es|ed|ing))\b"),
    ("soft-attribution", r"\b(?:says?|said|told|tells|according to)\b"),
    ("soft-opinion", r"^(?:[\w'-]+\s+){0,3}(?:tariffs?|duties|export controls?)\s+(?:are|is|were|was|won't|will not|"
                     r"would|could|can't|cannot|do not|don't|hurt|help)\b"),
    ("soft-talks", r"\b(?:talks|negotiations?|negotiators?|negotiat(?:e|es|ing)|consensus|framework|summit|"
                   r"meet|meets|meeting|discuss(?:es|ed|ing)?|discussions?|phone call|dialogue|deal|agreement|"
                   r"agree(?:s|d)?)\b"),
    ("soft-investigation", r"\b(?:investigations?|probes?|inquiry|inquiries|hearings?|petitions?)\b|"
                           r"\breviews? (?:of|into)\b|\bunder review\b"),
    ("soft-speculation", r"\b(?:mulls?|mulled|mulling|weighs?|weighing|consider(?:s|ing)?|eye(?:s|ing)|"
                         r"could|might|would|possible|potential|poised|expected to|reportedly|sources say|"
                         r"likely|mooted|floats?|floated|ponders?|coming (?:this|next) week|looms?|looming|"
                         r"nears|approaches)\b"),
    ("soft-impact", r"\b(?:hit by|hurt by|hurts?|hurting|impact(?:s|ed)?|toll|pain|costs?|prices?|consumers|"
                    r"consumer prices|inflation|GDP|CPI|"
                    r"shoppers|households|brace|bracing|scrambl(?:e|es|ing)|rush(?:es)? to|stockpil\w*|"
                    r"pile up|disposing|victims?|fallout|shock|jitters|fears?|anxiety|uncertainty|turmoil|"
                    r"chaos|risks?|supply chains?|dodge|avoid|evade|circumvent|shifts? production|"
                    r"moves? production|relocat\w+|reroute\w*)\b"),
    ("soft-analysis", r"\b(?:reveal(?:s|ed)?|shows?|highlight(?:s|ed)?|underscor(?:e|es|ed)|illustrat(?:e|es)|"
                      r"typif(?:y|ies)|exemplif(?:y|ies)|signals?|reflect(?:s|ed)?|strategy|explainer|"
                      r"lessons|implications|outlook|assessment|guide|winners|losers|legacy|history|"
                      r"anniversary|look back|retrospective|study|report finds|survey|poll|timeline)\b"),
    ("soft-question", r"^(?:how|why|what|when|where|who|is|are|can|will|should|does|do)\b|\?"),
    # Analysis weeks later: the measure is the background of the story.
    ("soft-later", r"\b(?:weeks|months|a year|one year|a month|\d+ (?:days|weeks|months|years)) (?:after|on|later|into|"
                   r"since)\b|\bone year on\b|\bso far\b|\bin hindsight\b|\blooking back\b|\banniversary\b"),
)
SOFT_VETOES_ZH = rules(
    ("soft-zh-reaction", r"回应|谴责|批评|抨击|反对|抗议|表态|奉陪|交涉|不怕打|霸凌|不满|怒批|痛批|炮轰|无法容许|"
                         r"不能接受|不可接受|不接受|强烈不满|要求撤回|敦促|促请"),
    ("soft-zh-talks", r"磋商|谈判|会谈|通话|会晤|共识|联合声明"),
    # Worry about a measure ("…农民忧心…关税"): its impact is the news.
    ("soft-zh-impact", r"忧心|担忧|担心|忧虑|恐慌|叫苦|受冲击|"
                       r"(?:关税|加征)[^，。；]{0,4}(?:将|会)(?:让|使|令|导致|推高|拖累|重创|冲击)"),
    ("soft-zh-investigation", r"调查|立案|听证"),
    ("soft-zh-analysis", r"解读|分析|评论|社论|观察|专家|学者|(?<!或)(?<!恐)(?<!料)(?<!将)(?<!可能)影响"),
    # Analysis a year on: the measure is the background ("…一周年：何去何从").
    ("soft-zh-later", r"周年|回顾|复盘|何去何从"),
)
