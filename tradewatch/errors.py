"""TradeWatch's own exceptions, one small tree.

    TradeWatchError                 base; carries a message meant for the operator
    ├── ConfigError                 a bad setting or catalog entry: start-up stops, exit code 2
    │   └── CatalogError            sources.toml: names the source id and the key
    ├── StorageError                the database file cannot be read or written safely
    │   └── CorruptDatabaseError    the file exists but is not a database we wrote; never replaced
    └── ParseError                  a payload does not have the expected shape
        └── EmptyParseError         it parsed, but to nothing where items were expected

Fetch problems are not exceptions: `fetch` returns a FetchResult whose `error` says what happened.
Parsers raise ParseError and the pipeline turns it into a FetchError value of kind `parse`/`empty`.
"""


class TradeWatchError(Exception):
    """Base of every TradeWatch exception."""


class ConfigError(TradeWatchError):
    """A setting or catalog value is wrong; the message names it."""


class CatalogError(ConfigError):
    """A sources catalog entry is wrong; the message names the source and the key."""


class StorageError(TradeWatchError):
    """The database cannot be used."""


class CorruptDatabaseError(StorageError):
    """The database file is unreadable; it is left untouched for the operator."""


class ParseError(TradeWatchError):
    """A payload is not what its source kind should answer."""


class EmptyParseError(ParseError):
    """A payload parsed to no items where items were expected."""
