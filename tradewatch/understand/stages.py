"""Direction and stage of a measure, for dedupe: which way a title moves a measure (up: impose,
tighten …; down: cut, suspend …), and whether it reports a plan, a decision or its taking effect.

Regex tables with cheap literal screens (`*_NEEDS`: one of them must be in the lower-cased text
before the pattern is tried). Pure data; `pairs.Profile` reads them.
"""
from __future__ import annotations

import re

I = re.IGNORECASE

DIRECTION_UP = re.compile(
    r"\b(?:impos\w*|slap\w*|rais(?:e|es|ed|ing)|hik(?:e|es|ed|ing)|increas\w*|boost\w*|doubl\w*(?!-digit)|tripl\w*(?!-digit)|"
    r"tighten\w*|expand\w*|expansion|widen\w*|broaden\w*|escalat\w*|ban|bans|banned|banning|restricts?|"
    r"curbs?|threat\w*|blacklist\w*|reinstat\w*|hits? \w+ with|add|adds|added|adding|duty order|retaliat\w*|"
    r"(?:hits?|answers?|responds?|strikes? back|fires? back)\b[^.;:]{0,40}\bwith\b|报复性|反制|"
    r"sets?(?! out\b| to\b)|bars?|barred|barring|restrict(?:s|ed|ing)?|prohibit(?:s|ed|ing)?|lev(?:y|ies|ied)|"
    r"(?:puts?|places?|placed)\b[^.;:]{0,40}\b(?:on|to) (?:its |the |an? )?[\w-]*\s?(?:list|blacklist)|"
    r"(?:announc\w*|orders?|ordered|unveil\w*)\s+(?:[\w%$'-]+\s+){0,3}?(?:tariffs?|duties|levies|tax(?:es)?|curbs|"
    r"controls|bans?)|(?:face|faces|facing)\s+(?:[\w%$.'-]+\s+){0,3}?(?:tariffs?|duties|levies|tax(?:es)?))\b|"
    r"加征|提高|上调|加强|收紧|严控|扩大|禁止|列入|纳入|开征|征收|限制|管制", I)
DIRECTION_DOWN = re.compile(
    r"\b(?:cut|cuts|cutting|lower\w*|reduc\w*|slash\w*|halv\w*|trim|trims|trimm\w*|roll(?:s|ed|ing)?[- ]?back|rollback|suspend\w*|"
    r"suspension|paus\w*|(?:lift|lifts|lifted)(?![^.;:]{0,40}\bto \d)|exempt\w*|exclusions?|eas(?:e|es|ed|ing)|relax\w*|loosen\w*|"
    r"delay\w*|postpon\w*|scrap\w*|terminat\w*|waiv\w*|withdraw\w*|rescind\w*|truce|reprieve|de-?escalat\w*|spared|spares|"
    r"(?:halt\w*|stop\w*|end(?:s|ed|ing)?)\b[^.;:]{0,25}\b(?:bans?|curbs|controls|tariffs|restrictions|duties))\b|"
    r"暂停|取消|放宽|下调|降低|降至|豁免|排除|移出|停止实施|延期|缓征|暂缓|免征|解除|零关税", I)
# Cheap tests before the patterns above: literals one of which each needs.
DIRECTION_DOWN_NEEDS = ("cut", "lower", "reduc", "slash", "halv", "trim", "roll", "suspen", "paus", "lift", "exempt", "exclu", "spare", "rescind",
                        "eas", "relax", "loosen", "delay", "postpon", "scrap", "termin", "waiv", "withdraw",
                        "truce", "repriev", "escalat", "halt", "stop", "end", "暂停", "取消", "放宽", "下调", "降低",
                        "豁免", "排除", "移出", "停止", "延期", "缓征", "暂缓", "免征", "降至", "解除", "零关税")
# An easing verb acting on the measure decides the direction whatever else the title names
# ("drops tariff threat", "halts export ban").
DIRECTION_DOWN_ACTS = re.compile(
    # an easing prolonged ("extends the tariff truce", "延长…休战") moves down too
    r"\b(?:extend|prolong)\w*(?:\s+[\w'-]+){0,3}?\s+(?:truce|pause|suspension|reprieve|exemptions?|exclusions?|waivers?)\b|"
    r"(?:延长|延期)[^，。；]{0,8}(?:休战|暂停|豁免|排除)|(?:休战|暂停|豁免|排除)[^，。；]{0,6}(?:延长|延期)|"
    r"\b(?:drop|halt|end|lift|suspend|scrap|abandon|withdraw|pause|remov|cancel|rescind|revok|shelv|postpon)\w*"
    r"(?:\s+[\w'-]+){0,3}?[\s-]+(?:tariffs?|duties|threats?|bans?|curbs|controls|restrictions|levies|rules?|blacklists?)\b"
    r"(?![^.;:]{0,40}(?<!\bup )\bto \d)|"
    r"(?:暂停|取消|停止|撤销|推迟|解除)[^，。；]{0,16}(?:关税|禁令|管制|措施|限制|规则)|零关税|"
    r"(?:关税|税率)[^，。；]{0,4}(?:降至|降为|减至|下调至)", I)
DIRECTION_DOWN_ACTS_NEEDS = ("extend", "prolong", "延长", "延期", "drop", "halt", "end", "lift", "suspen", "scrap", "abandon", "withdraw", "paus",
                             "remov", "cancel", "rescind", "revok", "shelv", "postpon", "暂停", "取消", "停止", "撤销",
                             "推迟", "降至", "降为", "减至", "下调至", "解除", "零关税")
# A plan or a consideration is another stage than the decision it may lead to.
# Also a plan named with its noun ("plans rare-earth export curbs", "酝酿对…加征关税").
STAGE_PLAN = re.compile(r"\b(?:propos(?:e|es|ed|ing|als?)|plans? to|plans (?:new|more|fresh)|planning to|consider(?:s|ing)|mulls?|mulling|"
                        r"weighs|weighing|plans (?:[\w-]+ ){0,3}?(?:curbs|controls|tariffs|duties|levies|bans|"
                        r"restrictions|measures))\b|酝酿|考虑对|计划对|拟对|拟将", I)
STAGE_PLAN_NEEDS = ("propos", "plan", "consider", "mull", "weigh", "酝酿", "考虑对", "计划对", "拟对", "拟将")
STAGE_EFFECT_NEEDS = ("effect", "force", "kick", "begin", "began", "start", "生效", "实施", "今起", "落地")
STAGE_EFFECT = re.compile(
    r"(?<!\bto )(?<!\bwill )(?<!\bwould )(?<!\bset to )\b(?:take|takes|took|taking) effect\b|\b(?:go|goes|went|going) into effect\b|"
    r"(?<!\bto )(?<!\bwill )\b(?:come|comes|came|coming|enter|enters|entered) into force\b|(?<!\bto )(?<!\bwill )\bkick(?:s|ed)? in\b|"
    r"\b(?:begins?|began|starts?|started) (?:collecting|imposing|charging|levying)\b|\bnow in (?:effect|force)\b|"
    r"正式生效|开始实施|正式实施|今起|落地", I)

# A measure that takes effect as it is announced: its announcement and its taking effect are one
# event on one day ("orders immediate 25% tariff …; takes effect", "即日起实施").
STAGE_IMMEDIATE = re.compile(r"\bimmediate(?:ly)?\b|\bwith immediate effect\b|立即|即日起|即刻|立刻", I)
STAGE_IMMEDIATE_NEEDS = ("immediate", "立即", "即日起", "即刻", "立刻")
