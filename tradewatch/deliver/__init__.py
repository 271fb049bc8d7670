"""Deliver: from stored events to Telegram messages.

Takes in new and updated `Event` values and the subscribers in the store. `render` turns an event
into an alert (escaped HTML within Telegram's limits), `outbox.Deliverer` records every (event, chat)
delivery before and after sending and sends within the paced limits of `ratelimit`, over the bot
transport of `transport`; what stays pending is tried again on the schedule of `retry`.
`reminders` queues reminders of events' effective dates and comment deadlines in the same outbox
when they fall due; `records` writes events and deliveries as CSV or JSON lines; `chart` draws
events per week as a PNG. Gives out messages and edits in Telegram, and delivery records in the store.
"""
