"""Decide whether an item announces a tariff or export-control measure, and which: pure rules.

The title decides. A title is relevant for a topic when its main clause (context after "amid",
"despite", "after", "if" … removed) names a measure of that topic and no veto applies. Hard vetoes
always win: market reports, trade statistics, courts and the WTO, opinion and explainers,
commentators (economists, lawmakers, CEOs …), foreign ministries, a spokesperson answering about
a foreign measure, and, for official sources, routine agency notices (information collections,
reviews, meetings …). Soft vetoes (reactions, attribution, talks, investigations, speculation,
impact stories, analysis, questions, analysis weeks later) are read in the main clause (a first
clause that announces by itself leaves out the reaction after it) and give way only when the title
itself announces strongly enough (veto_rules.SOFT_OVERRIDE): a verb acting on the measure or a rate
outweighs all of them, announcing words (and a deal reached) only the weaker ones; an
investigation's outcome (a notice of action, a final determination) outweighs the investigation. When the title names no measure, the summary may supply
one (with a verb) if the item is official or the title points that way (exports, retaliation …).
An official document's Federal Register metadata (`metadata`: the CFR parts it amends, its
subject topics) decides a topic whatever the title says, and outweighs soft vetoes.
The rules are the tables in `tradewatch.understand.lexicon`; `reasons` names the rules that decided.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from tradewatch.understand import lexicon, metadata
from tradewatch.understand import vetoes as veto_rules
from tradewatch.understand.extract import CJK, find_rates, normalize
from tradewatch.models import TOPICS

SUMMARY_CHARS = 400
ROUTINE = tuple(rule for rule in veto_rules.HARD_VETOES if rule.name == "veto-routine")
LEGAL = tuple(rule for rule in veto_rules.HARD_VETOES if rule.name == "veto-legal")
NOISE = re.compile(r"\s*(?:" + "|".join(rule.pattern.pattern for rule in lexicon.NOISE) + r")\s*", re.I)
CONDITIONAL = tuple(rule for rule in veto_rules.HARD_VETOES if rule.name == "veto-conditional-offer")
NEWS_VETOES = tuple(rule for rule in veto_rules.HARD_VETOES if rule.name not in ("veto-routine", "veto-conditional-offer"))


@dataclass(frozen=True)
class Classification:
    topics: tuple[str, ...]
    relevant: bool
    reasons: tuple[str, ...]


def classify(title: str, summary: str = "", lang: str = "en", authority: str = "news",
             extra: Mapping[str, Any] | None = None, source_name: str = "") -> Classification:
    """Topics, relevance and the names of the rules that decided."""
    title = _clean(title)
    main = lexicon.CONTEXT_CLAUSE.sub("", title)
    hard = hard_vetoes(title, main, authority, extra, source_name)
    if hard:
        return Classification((), False, hard)
    measures = find_measures(main)
    decided, by_metadata = metadata.topics_of(extra) if authority == "official" else ((), [])
    soft = soft_vetoes(title, authority)
    if soft:
        lead = lead_clause(title)
        soft = soft_vetoes(lead, authority) if lead != title else soft
    verbs = actions(main) if soft or any(measures.values()) else []
    if soft and not decided and not overrides(main, measures, soft, verbs):
        if set(soft) == {"soft-reaction"} and not any(measures.values()) and RESPONSE_TO_PRACTICES.search(title):
            topics, reasons = from_lead_sentence(_clean(summary[:SUMMARY_CHARS]), authority)
            if topics:                   # a response to practices is an action; the summary says which
                return Classification(topics, True, tuple(reasons + soft))
        return Classification((), False, soft)
    reasons = [name for topic in TOPICS for name in measures[topic]] + by_metadata
    topics = tuple(topic for topic in TOPICS if measures[topic] or topic in decided)
    if not topics and (authority == "official" or lexicon.SUMMARY_HINT.search(main)):
        topics, reasons = from_summary(_clean(summary[:SUMMARY_CHARS]))
    elif not topics and summary:
        topics, reasons = from_lead_sentence(_clean(summary[:SUMMARY_CHARS]), authority)
    if topics:
        reasons += verbs + (["official"] if authority == "official" else [])
    return Classification(topics, bool(topics), tuple(dict.fromkeys(reasons + soft)))


def hard_vetoes(title: str, main: str, authority: str, extra: Mapping[str, Any] | None, source_name: str) -> list[str]:
    """`main` is the title without its context clauses, where a news veto must stand."""
    if authority == "official":          # routine notices are an agency's; the WTO is soft for it
        vetoes = matches(veto_rules.HARD_VETOES, title)
        vetoes = [v for v in vetoes if v != "veto-legal"]
    else:                                # a court or a market named in "after …" is the background
        vetoes = matches(NEWS_VETOES, main) + matches(CONDITIONAL, title)
    if CJK.search(title):
        vetoes += matches(veto_rules.HARD_VETOES_ZH, title)
    action = str((extra or {}).get("action") or "")
    if action and matches(ROUTINE, action) and not metadata.topics_of(extra)[0]:
        vetoes.append("veto-routine-action")      # not "Proposed rule; request for comments" on 15 CFR 744
    if authority != "official" and lexicon.OPINION_SOURCE.search(source_name or ""):
        vetoes.append("veto-opinion-source")
    return vetoes


def lead_clause(title: str) -> str:
    """The title's first clause when it announces by itself (a measure and a verb acting on it or
    announcing it): what comes after it ("…; exporters say it is not enough") is not the main
    clause, so its reaction or comment words do not veto. Otherwise the whole title."""
    parts = lexicon.LEAD_CLAUSE_END.split(title, maxsplit=1)
    if len(parts) < 2 or not parts[0].strip():
        return title
    first = lexicon.CONTEXT_CLAUSE.sub("", parts[0])
    strong = set(actions(first)) & (lexicon.IMPOSING | lexicon.ANNOUNCING | lexicon.ZH_IMPOSING)
    return parts[0] if strong and any(find_measures(first).values()) else title


def soft_vetoes(title: str, authority: str = "news") -> list[str]:
    vetoes = matches(veto_rules.SOFT_VETOES, title)
    if authority == "official":          # an official title's verdict words are its statute's
        vetoes = [v for v in vetoes if v != "soft-verdict"]
        if matches(LEGAL, title):
            vetoes.append("soft-legal")
    if CJK.search(title):
        vetoes += matches(veto_rules.SOFT_VETOES_ZH, title)
    return vetoes


def overrides(main: str, measures: dict[str, list[str]], soft: list[str], verbs: list[str]) -> bool:
    """Whether the title announces strongly enough to outweigh every one of its soft vetoes."""
    if not any(measures.values()):
        return False
    background = lexicon.POSSESSED_MEASURE.sub(" ", main)
    evidence = strength(background, actions(background) if background != main else verbs)
    return all(gives_way(veto, main, evidence) for veto in soft)


def strength(main: str, verbs: list[str]) -> set[str]:
    """How strongly the title announces: "impose" (a verb acting on a measure, or a rate),
    "announce" (announcing words too), "zh-announce" (发布, 公布, 宣布, 决定)."""
    found = set(verbs)
    evidence = set()
    if found & (lexicon.IMPOSING | lexicon.ZH_IMPOSING) or find_rates(main):
        evidence |= {"impose", "announce"}
    if found & lexicon.ANNOUNCING:
        evidence.add("announce")
    if lexicon.ZH_ANNOUNCE.search(main):
        evidence |= {"zh-announce", "announce"}
    return evidence


def gives_way(veto: str, main: str, evidence: set[str]) -> bool:
    if veto == "soft-zh-investigation":
        return bool(lexicon.ZH_INVESTIGATION_OUTCOME.search(main))
    if veto == "soft-zh-talks" and lexicon.ZH_TALKS_OUTCOME.search(main):
        return True
    if veto == "soft-investigation" and lexicon.INVESTIGATION_OUTCOME.search(main):
        return True
    if veto == "soft-question" and "zh-announce" in evidence:
        return True              # 发布…公告，有何考虑？: questions about a measure announced
    return veto_rules.SOFT_OVERRIDE.get(veto, "zh-announce") in evidence


def actions(text: str) -> list[str]:
    found = matches(lexicon.ACTIONS, text)
    if CJK.search(text):
        found += matches(lexicon.ACTIONS_ZH, text)
    return found


def from_summary(summary: str) -> tuple[tuple[str, ...], list[str]]:
    """Topics the summary states with a verb of imposition, when the title names no measure."""
    if not summary or not actions(summary):
        return (), []
    measures = find_measures(summary)
    topics = tuple(topic for topic in TOPICS if measures[topic])
    return topics, [f"summary:{name}" for topic in topics for name in measures[topic]]


# "USTR responds to China's trade policies": a response to practices (not to a measure) is an action.
RESPONSE_TO_PRACTICES = re.compile(r"\b(?:respond(?:s|ed)?|responding) to\b[^.;:]{0,50}\b(?:policies|practices|acts)\b", re.I)
LEAD_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s|(?<=[。！？])")


ABBREVIATION_END = re.compile(r"(?:\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|Mr|Mrs|Ms|Dr|No|Nos|Inc|Co|"
                              r"Corp|Ltd|St|Gov|Sen|Rep|vs|approx)|\b[A-Z])\.$")


def lead_sentence(text: str) -> str:
    """The text's first sentence ("… on Dec. 23 issued …" is one sentence)."""
    parts = LEAD_SENTENCE_END.split(text)
    lead = parts[0]
    for part in parts[1:]:
        if not ABBREVIATION_END.search(lead):
            break
        lead += " " + part
    return lead.strip()


def from_lead_sentence(summary: str, authority: str) -> tuple[tuple[str, ...], list[str]]:
    """Topics of a title that names no measure at all ("China hits back", "Steel quotas tightened"),
    read from the summary's first sentence when it announces by itself: a measure and a verb acting
    on it, outside context clauses, and no veto of its own a title would have."""
    lead = lead_sentence(summary)
    main = lexicon.CONTEXT_CLAUSE.sub("", lead)
    if not lead or hard_vetoes(lead, main, authority, None, ""):
        return (), []
    measures = find_measures(main)
    verbs = actions(main)
    if not any(measures.values()) or not set(verbs) & (lexicon.IMPOSING | lexicon.ZH_IMPOSING):
        return (), []
    soft = soft_vetoes(lead, authority)
    if soft and not overrides(main, measures, soft, verbs):
        return (), []
    topics = tuple(topic for topic in TOPICS if measures[topic])
    return topics, [f"lead:{name}" for topic in topics for name in measures[topic]]


def find_measures(text: str) -> dict[str, list[str]]:
    """Names of the measure rules of each topic that the text matches."""
    tables = lexicon.MEASURES if CJK.search(text) else lexicon.MEASURES_EN
    return {topic: matches(tables[topic], text) for topic in TOPICS}


def matches(table: tuple[lexicon.Rule, ...], text: str) -> list[str]:
    return lexicon.matching(table, text)


def _clean(text: str) -> str:
    """Normalised, without NOISE; the joined pattern (slow: it starts with \\s*) runs only when one
    of its rules matches (their screens turn most texts away)."""
    text = normalize(text)
    return NOISE.sub(" ", text).strip() if lexicon.matching(lexicon.NOISE, text) else text.strip()
