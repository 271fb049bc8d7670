"""Cheap refusals of hostile shapes, before a library spends seconds (or a recursion limit) on them.

`load_json` measures how deep a JSON text nests with one linear scan and refuses more than
MAX_JSON_DEPTH levels before `json.loads` sees it (a deep document is a RecursionError there).
`nesting_depth` / `check_nesting` do the same for HTML, whose parser's cost grows with the square
of the depth (lexbor: 5,000 nested elements take 30 ms, 80,000 take 7 s). Both raise ParseError;
neither allocates more than the scan's position.
"""
from __future__ import annotations

import json
import re
from typing import Any

from tradewatch.errors import ParseError

MAX_JSON_DEPTH = 64
MAX_HTML_DEPTH = 4000        # a whole page
MAX_FRAGMENT_DEPTH = 500     # a summary's markup

JSON_TOKENS = re.compile(r'[\[\]{}]|"[^"\\]*(?:\\.[^"\\]*)*"?')   # brackets, and whole strings to skip

# Elements whose end tag a page may leave out, or that have none: they never add depth.
UNCOUNTED = frozenset("area base br col embed hr img input link meta source track wbr param keygen "
                      "p li dt dd option optgroup tr td th thead tbody tfoot colgroup caption rb rt rtc rp "
                      "html head body".split())
RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "noscript", "iframe", "noembed"})
HTML_MARKS = re.compile(r"<!--|<!\[cdata\[|<(/?)([a-z][a-z0-9:-]{0,40})")   # on lower-cased text


def load_json(body: bytes, what: str) -> Any:
    """The JSON document in `body`, or ParseError: not UTF-8, not JSON, nested over MAX_JSON_DEPTH."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{what} is not valid JSON: {exc}") from None
    if is_too_deep_json(text, MAX_JSON_DEPTH):
        raise ParseError(f"{what} nests deeper than {MAX_JSON_DEPTH} levels: refused")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:    # ValueError: JSONDecodeError, or an integer too long to convert
        raise ParseError(f"{what} is not valid JSON: {exc}") from None


def is_too_deep_json(text: str, limit: int) -> bool:
    """True when JSON nests deeper than `limit` (without scanning when it has too few brackets to)."""
    return text.count("[") + text.count("{") > limit and json_depth(text, limit) > limit


def is_too_deep_html(markup: str, limit: int) -> bool:
    """True when HTML nests deeper than `limit` (without scanning when it has too few tags to)."""
    return markup.count("<") > limit and nesting_depth(markup, limit) > limit


def json_depth(text: str, limit: int) -> int:
    """How deep the arrays and objects of a JSON text nest (strings skipped); stops past `limit`."""
    depth = deepest = 0
    for match in JSON_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif token in ("]", "}"):
            depth -= 1
    return deepest


def nesting_depth(markup: str, limit: int = MAX_HTML_DEPTH) -> int:
    """How deep elements nest in `markup`, by one linear scan of its tags; stops past `limit`.

    Tags inside comments, CDATA sections and raw-text elements (script, style …) are skipped;
    elements whose end tag may be left out (p, li, td …) and void ones (br, img …) never count.
    """
    lowered = markup.lower()
    depth = deepest = position = 0
    while deepest <= limit:
        match = HTML_MARKS.search(lowered, position)
        if match is None:
            break
        position = match.end()
        closing, name = match.group(1), match.group(2)
        if match.group() == "<!--":
            position = _skip_past(lowered, "-->", position)
        elif match.group() == "<![cdata[":
            position = _skip_past(lowered, "]]>", position)
        elif name in UNCOUNTED:
            continue
        elif closing:
            depth = max(depth - 1, 0)
        elif name in RAW_TEXT:
            position = _skip_past(lowered, f"</{name}", position)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _skip_past(text: str, marker: str, start: int) -> int:
    found = text.find(marker, start)
    return len(text) if found < 0 else found + len(marker)


def check_nesting(markup: str, what: str = "page") -> None:
    """ParseError for markup nested deeper than MAX_HTML_DEPTH, before the HTML parser sees it."""
    if is_too_deep_html(markup, MAX_HTML_DEPTH):
        raise ParseError(f"the {what} nests elements deeper than {MAX_HTML_DEPTH:,} levels: refused")
