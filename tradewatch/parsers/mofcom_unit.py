"""Placeholder until the mofcom_unit parser lands."""
from tradewatch.models import FetchResult, Item, Source


def parse(result: FetchResult, source: Source) -> list[Item]:
    raise NotImplementedError("mofcom_unit parser")
