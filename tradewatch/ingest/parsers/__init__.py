"""One parser per source kind, all with the same signature, in one explicit table.

    parse(result: FetchResult, source: Source) -> list[Item]

Parsers are pure: bytes in (with the content type and headers of the answer), Items out. A
payload of the wrong shape raises ParseError; a payload that parses to nothing where items were
expected raises EmptyParseError. Nothing else escapes a parser, whatever the bytes: hostile shapes
are refused cheaply (parsers.bounds) and every Item comes out valid and bounded (common.finish).
They never touch the network, the clock or the disk.

`parse_bounded` is how the pipeline calls them: in a worker thread, so a big answer never holds
up the event loop, and within a time bound, past which the answer is a ParseError.
"""
from __future__ import annotations

import asyncio
from typing import Callable

from tradewatch.errors import ParseError
from tradewatch.models import FetchResult, Item, Source
from tradewatch.ingest.parsers import federal_register, html, mofcom_unit, rss

Parser = Callable[[FetchResult, Source], list[Item]]

PARSERS: dict[str, Parser] = {
    "rss": rss.parse,
    "federal_register": federal_register.parse,
    "html": html.parse,
    "mofcom_unit": mofcom_unit.parse,
}
PARSE_TIMEOUT = 10.0   # seconds; an 8 MB feed of 20,000 items takes about 2 s


def parse(result: FetchResult, source: Source) -> list[Item]:
    """Dispatch to the parser of the source's kind."""
    return PARSERS[source.kind](result, source)


async def parse_bounded(result: FetchResult, source: Source, timeout: float = PARSE_TIMEOUT) -> list[Item]:
    """`parse` in a worker thread; ParseError when it takes longer than `timeout` seconds.

    The thread cannot be stopped, so a parse that times out still runs to its end in the
    background: the bounds in each parser keep that end near.
    """
    try:
        return await asyncio.wait_for(asyncio.to_thread(parse, result, source), timeout)
    except TimeoutError:
        raise ParseError(f"parsing the {len(result.body):,}-byte answer took longer than {timeout:g} s") from None
