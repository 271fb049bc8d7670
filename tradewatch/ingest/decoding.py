"""Content-Encoding decoding under a size cap that counts decoded bytes as they stream.

httpx decodes each received chunk in one call, so a 100 KB answer with `Content-Encoding: gzip,
gzip` becomes gigabytes in memory before any cap can look at it. `CappedDecoder` undoes every
layer (gzip, x-gzip, deflate, identity; outermost first) in pieces of at most PIECE bytes, counts
what each layer puts out, and raises TooLarge as soon as the decoded body, or any layer on the way
to it, passes the cap; the raw bytes count against the cap too, so trailing junk after a gzip
member cannot stream forever. An unknown encoding or a corrupt stream raises DecodeError. Pure:
bytes in, bytes out, no I/O.
"""
from __future__ import annotations

import zlib
from typing import Iterator

PIECE = 65_536
LAYER_SLACK = 1.01   # a compressed inner layer may be slightly larger than what it decodes to


class TooLarge(Exception):
    """The body, decoded, would pass the cap."""


class DecodeError(Exception):
    """The body cannot be decoded as its Content-Encoding says."""


class _Inflater:
    """One compression layer, decoded in bounded pieces."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if not self._deflate else zlib.MAX_WBITS)
        self._started = False
        self.produced = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inflater.eof:           # trailing bytes after the stream end are ignored, as httpx does
            return
        try:
            piece = self._first(data) if not self._started else self._inflater.decompress(data, PIECE)
            while True:
                self.produced += len(piece)
                yield piece
                tail = self._inflater.unconsumed_tail
                if self._inflater.eof or (not tail and len(piece) < PIECE):
                    return          # a full piece with no input left may still have output behind it
                piece = self._inflater.decompress(tail, PIECE)
        except zlib.error as exc:
            raise DecodeError(str(exc)) from None

    def _first(self, data: bytes) -> bytes:
        self._started = True
        try:
            return self._inflater.decompress(data, PIECE)
        except zlib.error:
            if not self._deflate:
                raise
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)   # "deflate" sent without its zlib header
            return self._inflater.decompress(data, PIECE)


def encodings(header: str) -> list[str]:
    """The Content-Encoding layers in the order they were applied ("identity" dropped)."""
    names = [name.strip().lower() for name in (header or "").split(",")]
    return [name for name in names if name and name != "identity"]


class CappedDecoder:
    """Feed raw chunks, get decoded bytes; TooLarge past `limit`, DecodeError on bad data."""

    SUPPORTED = ("gzip", "x-gzip", "deflate")

    def __init__(self, content_encoding: str, limit: int) -> None:
        applied = encodings(content_encoding)
        unknown = [name for name in applied if name not in self.SUPPORTED]
        if unknown:
            raise DecodeError(f"unsupported Content-Encoding {unknown[0]!r}")
        self._layers = [_Inflater(name) for name in reversed(applied)]   # outermost first
        self._limit = limit
        self._layer_limit = int(limit * LAYER_SLACK) + PIECE
        self._raw = 0
        self._size = 0

    def feed(self, raw: bytes) -> bytes:
        """The decoded bytes `raw` adds to the body."""
        self._raw += len(raw)
        if self._raw > self._layer_limit:
            raise TooLarge()
        out = []
        for piece in self._through(raw, 0):
            self._size += len(piece)
            if self._size > self._limit:
                raise TooLarge()
            out.append(piece)
        return b"".join(out)

    def _through(self, data: bytes, level: int) -> Iterator[bytes]:
        if level == len(self._layers):
            yield data
            return
        layer = self._layers[level]
        for piece in layer.feed(data):
            if layer.produced > self._layer_limit:
                raise TooLarge()
            if piece:
                yield from self._through(piece, level + 1)
