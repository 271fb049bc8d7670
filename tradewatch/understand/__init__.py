"""Understand: from parsed items to events.

Takes in `Item` values and the recent events (`dedupe.EventIndex`). `classify` decides the topics and
relevance from the rule tables in `lexicon` (checked first against the exact literal screens of
`screen`), `extract` finds the facts (countries, rates, products, dates, document numbers) and
`absorb` turns an item into a new `Event` or a report joined to an existing one. Gives out `Event`
values. Pure: no clock, no network, no store; it never imports `ingest` or `deliver`.
"""
