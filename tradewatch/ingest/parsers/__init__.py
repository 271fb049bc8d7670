"""One parser per source kind, all with the same signature, in one explicit table.

    parse(result: FetchResult, source: Source) -> list[Item]

Parsers are pure: bytes in (with the content type and headers of the answer), Items out. A
payload of the wrong shape raises ParseError; a payload that parses to nothing where items were
expected raises EmptyParseError. They never touch the network, the clock or the disk.
"""
from __future__ import annotations

from typing import Callable

from tradewatch.models import FetchResult, Item, Source
from tradewatch.ingest.parsers import federal_register, html, mofcom_unit, rss

Parser = Callable[[FetchResult, Source], list[Item]]

PARSERS: dict[str, Parser] = {
    "rss": rss.parse,
    "federal_register": federal_register.parse,
    "html": html.parse,
    "mofcom_unit": mofcom_unit.parse,
}


def parse(result: FetchResult, source: Source) -> list[Item]:
    """Dispatch to the parser of the source's kind."""
    return PARSERS[source.kind](result, source)
