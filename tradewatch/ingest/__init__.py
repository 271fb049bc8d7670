"""Ingest: from the sources catalog to parsed items.

Takes in `sources.toml` (`catalog.load_catalog` → `Source` values) and the network (`fetch.Fetcher`,
the only httpx user: conditional GET, size and time bounds, errors as `FetchResult.error`). Gives out
`Item` values: `parsers.PARSERS[source.kind](result, source)`, pure functions of the fetched bytes.
`fulltext.fetch_full_text` gives the lines of an official list document (Entity List rules, MOFCOM
list announcements) for watchlist matching, bounded and with errors as values. It never classifies
or stores anything; canonical URLs and document numbers come from the shared
`tradewatch.urls` and `tradewatch.docnumbers`.
"""
