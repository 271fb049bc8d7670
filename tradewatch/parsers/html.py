"""Placeholder until the html parser lands."""
from tradewatch.models import FetchResult, Item, Source


def parse(result: FetchResult, source: Source) -> list[Item]:
    raise NotImplementedError("html parser")
