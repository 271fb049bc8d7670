"""Federal Register metadata as evidence for classification: an amendment to 15 CFR 744 is an
export control whatever its title says.

The Federal Register parser puts `type`, `action`, `cfr_references` ("15 CFR 744"), `topics` and
`significant` into `Item.extra`. `topics_of(extra)` names the topics the metadata decides, with a
reason each ("fr-cfr:export-administration-regulations"), from the [cfr] and [fr_topic] tables of
terms.toml, for Rules, Proposed Rules and Presidential Documents only: a Notice citing a part is
usually procedure, and an information-collection notice is vetoed by its `action` in classify.
Pure data and one function.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from tradewatch.understand.vocabulary import TERMS

MEASURE_TYPES = frozenset({"rule", "proposed rule", "presidential document"})
CFR = re.compile(r"^\s*(\d+)\s*CFR\s*(?:part\s*)?(\d+)", re.I)
CFR_RULES = tuple((name, entry["topic"], int(entry["title"]), tuple(tuple(r) for r in entry["parts"]))
                  for name, entry in TERMS.get("cfr", {}).items())
FR_TOPICS = tuple((name, entry["topic"], frozenset(n.lower() for n in entry["names"]))
                  for name, entry in TERMS.get("fr_topic", {}).items())


def topics_of(extra: Mapping[str, Any] | None) -> tuple[tuple[str, ...], list[str]]:
    """(topics, reasons) the document's metadata decides; nothing for other document types."""
    if not extra or str(extra.get("type") or "").strip().lower() not in MEASURE_TYPES:
        return (), []
    found: dict[str, str] = {}
    for title, part in _parts(extra.get("cfr_references")):
        for name, topic, cfr_title, ranges in CFR_RULES:
            if title == cfr_title and any(lo <= part <= hi for lo, hi in ranges):
                found.setdefault(f"fr-cfr:{name}", topic)
    subjects = {t.lower() for t in extra.get("topics") or () if isinstance(t, str)}
    for name, topic, names in FR_TOPICS:
        if subjects & names:
            found.setdefault(f"fr-topic:{name}", topic)
    topics = tuple(dict.fromkeys(found.values()))
    return topics, list(found)


def _parts(references: Any) -> list[tuple[int, int]]:
    if not isinstance(references, (list, tuple)):
        return []
    parts = []
    for reference in references:
        m = CFR.match(reference) if isinstance(reference, str) else None
        if m:
            parts.append((int(m[1]), int(m[2])))
    return parts
