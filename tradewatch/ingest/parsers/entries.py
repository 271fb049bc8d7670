"""Reuse the Items of feed entries read in a source's last answer, so a feed that gained one entry
costs feedparser one entry, not the whole feed.

feedparser spends about 250 µs on each entry (its SAX handlers, URL joins and dict copies), and a
feed answers with 10 to 100 entries of which a pass usually finds one or two new: in a pass over
50 sources most of the parse time went to entries parsed the pass before. An entry's Item depends
only on its own bytes and on their context: the bytes before the first entry (the root element,
namespaces, xml:base, the XML declaration and so the encoding), the bytes after the last one, the
answer's URL and content type, the Source, and whether the document marks the entry's guid
isPermaLink="false". So `plan` cuts the document at the end of each entry (a segment: the bytes
after the previous entry up to the end of this one), keys each segment by a hash of its bytes and
that context, and gives feedparser the head, the segments the source's last answer did not hold,
and the tail; `Plan.items` puts the Items back in document order.

The cut document is read only when the whole one is well-formed to expat (the XML parser
feedparser itself uses first) and each segment holds exactly one entry start tag (so entries
follow one another, never nest, and feedparser lists them in segment order; a feed with an
entry inside another gave them in another order), and its result is used only when feedparser reads it without
`bozo` and finds exactly one entry per segment given (an `</item>` inside a comment or CDATA cuts
an entry in two, and then the counts differ). Anything else, and every malformed feed, is parsed
whole as before, so feedparser's `bozo` handling and the errors it leads to are unchanged. The
keys are hashes of content, so a late write (a parse that outlived its time bound) can never make
a wrong Item reusable. Memory: the raw Items of each source's latest answer (at most
MAX_FEED_ENTRIES a source).
"""
from __future__ import annotations

import hashlib
import re
import xml.parsers.expat
from dataclasses import dataclass, field
from typing import Any, Callable

from tradewatch.models import FetchResult, Item, Source

ENTRY_START = re.compile(rb"<(?:item|entry)[\s>/]", re.IGNORECASE)
ENTRY_END = re.compile(rb"</(?:item|entry)\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class Known:
    """A segment's Item, with the guid it was read from and whether that guid counted as opaque."""

    item: Item
    guid: str
    opaque: bool


# source id -> segment key -> what it was read as: the latest answer's segments only.
_memo: dict[str, dict[bytes, Known]] = {}


@dataclass
class Plan:
    """Which segments of a document are known, and the document feedparser is to read instead."""

    source_id: str
    keys: list[bytes]
    known: dict[bytes, Known]
    fresh: list[bytes] = field(default_factory=list)   # keys of the segments in `body`, in order
    body: bytes = b""

    def fits(self, feed: Any) -> bool:
        """Whether feedparser's reading of `body` can stand for the whole document's."""
        return not feed.bozo and len(feed.entries) == len(self.fresh)

    def items(self, entries: list[Any], read: Callable[[Any], Item], opaque: set[str]) -> list[Item]:
        """The whole document's Items in its order: the fresh entries read, the others reused;
        the source's memo becomes this document's segments."""
        records = dict(self.known)
        for key, entry in zip(self.fresh, entries):
            guid = (entry.get("id", "") or "").strip()
            records[key] = Known(read(entry), guid, guid in opaque)
        _memo[self.source_id] = records
        return [records[key].item for key in self.keys]


def plan(body: bytes, result: FetchResult, source: Source, opaque: set[str]) -> Plan | None:
    """How to read `body` reusing the source's last answer; None when it must be read whole."""
    ends = [match.end() for match in ENTRY_END.finditer(body)]
    first = ENTRY_START.search(body, 0, ends[0]) if ends else None
    if first is None or not _well_formed(body):
        forget(source.id)
        return None
    head, tail = body[:first.start()], body[ends[-1]:]
    context = hashlib.blake2b(repr((result.url, result.content_type, source)).encode(), digest_size=16)
    context.update(b"%d:%b%d:%b" % (len(head), head, len(tail), tail))
    memo = _memo.get(source.id, {})
    chosen = Plan(source.id, [], {})
    pieces, start = [head], first.start()
    for end in ends:
        segment = body[start:end]
        if len(ENTRY_START.findall(segment)) != 1:      # nested entries, or a start tag in text:
            forget(source.id)                            # feedparser's order need not be ours
            return None
        key = _key(context, segment)
        chosen.keys.append(key)
        known = memo.get(key)
        if known is not None and (known.guid in opaque) == known.opaque:
            chosen.known[key] = known
        else:
            chosen.fresh.append(key)
            pieces.append(segment)
        start = end
    pieces.append(tail)
    chosen.body = b"".join(pieces)
    return chosen


def forget(source_id: str) -> None:
    _memo.pop(source_id, None)


def _key(context: Any, segment: bytes) -> bytes:
    digest = context.copy()
    digest.update(segment)
    return digest.digest()


def _well_formed(body: bytes) -> bool:
    """Whether expat, namespaces on as in feedparser's strict parser, reads the document."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    try:
        parser.Parse(body, True)
    except (xml.parsers.expat.ExpatError, ValueError, LookupError, RecursionError):
        return False
    return True
