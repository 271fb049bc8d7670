"""Placeholder until the federal_register parser lands."""
from tradewatch.models import FetchResult, Item, Source


def parse(result: FetchResult, source: Source) -> list[Item]:
    raise NotImplementedError("federal_register parser")
