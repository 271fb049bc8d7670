"""TradeWatch's storage: TinyDB behind small store classes, the only package that imports tinydb.

`open_store(path | None)` returns a `Store` (see storage.api for the Protocols the rest of
TradeWatch codes against): in memory for `None`, else a durable snapshot-plus-journal database.
"""
from storage.store import Store, open_store

__all__ = ["Store", "open_store"]
