"""Deliver: from stored events to Telegram messages.

Takes in new and updated `Event` values and the subscribers in the store. `render` turns an event
into an alert (escaped HTML within Telegram's limits), `outbox.Deliverer` records every (event, chat)
delivery before and after sending and sends within the paced limits of `ratelimit`, over the bot
transport of `transport`; what stays pending is tried again on the schedule of `retry`. Who gets an event is decided by
`route.Router` with each chat's alert rules (`rules`, `products`, `names`), quiet hours and digests
(`schedule`, `digest`); full texts for watchlists come in through an injected function. Gives out messages and edits in Telegram, and delivery records in the store.
"""
