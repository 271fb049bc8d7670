"""The outbox on PostgreSQL, shared by every TradeWatch process on the database.

Same contract as storage.deliveries (see storage.api.Deliveries), plus claims, so several
processes share one outbox and each (event, chat) is sent by one of them once. `pending()` claims
what it returns for this process (`owner`) for a lease (`SELECT … FOR UPDATE SKIP LOCKED`: rows
another process is claiming at that instant are skipped, not waited for), so it returns only
deliveries that no other live process holds (each process names its connections after itself, so
a claim whose owner has no session left is free at once). `claim()`, called just before each send, renews the
lease and counts the attempt, and says False when the delivery is sent, failed, or held by
another process, whose lease has not run out. A process killed mid-broadcast leaves its claims
to the others once their lease is over; a process that is still sending renews its leases, so a
broadcast longer than one lease stays with it. A send that finished releases the claim.
"""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Iterable

from psycopg.types.json import Jsonb

from storage.codec import decode, encode
from storage.deliveries import STATUSES
from storage.postgres.db import Db
from tradewatch.models import Delivery

# A claim is free when nobody holds it, it is ours, its lease is over, or its owner's sessions are
# gone (each process names its connections after itself: a killed process frees its claims at once).
_FREE = ("(claimed_by IS NULL OR claimed_by = %(me)s OR claimed_until < clock_timestamp() OR claimed_by NOT IN "
         "(SELECT application_name FROM pg_stat_activity WHERE datname = current_database()))")
_CLAIM_PENDING = f"""
WITH c AS (SELECT event_id, chat_key FROM tw_deliveries WHERE status = 'pending' AND {_FREE}
           ORDER BY queued_at, seq FOR UPDATE SKIP LOCKED)
UPDATE tw_deliveries d SET claimed_by = %(me)s, claimed_until = clock_timestamp() + %(lease)s
FROM c WHERE d.event_id = c.event_id AND d.chat_key = c.chat_key
RETURNING d.doc, d.seq"""
_UPSERT = """
INSERT INTO tw_deliveries (event_id, chat_key, status, queued_at, touched_at, claimed_by, claimed_until, doc)
VALUES (%(event_id)s, %(chat_key)s, %(status)s, %(queued_at)s, %(touched_at)s, %(claimed_by)s,
        CASE WHEN %(claimed_by)s::text IS NULL THEN NULL ELSE clock_timestamp() + %(lease)s END, %(doc)s)
ON CONFLICT (event_id, chat_key) DO UPDATE SET status = excluded.status, queued_at = excluded.queued_at,
    touched_at = excluded.touched_at, claimed_by = excluded.claimed_by,
    claimed_until = excluded.claimed_until, doc = excluded.doc"""


class PgDeliveryStore:
    def __init__(self, db: Db, owner: str, lease: timedelta):
        self._db = db
        self.owner = owner
        self.lease = lease
        self._renewed_at = time.monotonic()

    def enqueue(self, event_id: str, chat_ids: Iterable[int | str], now: datetime, kind: str = "alert") -> int:
        """Queue the event for each chat not queued yet, held by this process (which sends them
        next: another one's retry tick must not take them meanwhile); returns how many were added."""
        fresh: dict[str, dict] = {}
        for chat_id in chat_ids:
            if str(chat_id) not in fresh:
                fresh[str(chat_id)] = encode(Delivery(event_id=event_id, chat_id=chat_id, queued_at=now, kind=kind))
        if not fresh:
            return 0
        keys = list(fresh)
        return self._db.run(
            "INSERT INTO tw_deliveries (event_id, chat_key, status, queued_at, claimed_by, claimed_until, doc) "
            "SELECT %s, k, 'pending', %s, %s, clock_timestamp() + %s, d "
            "FROM unnest(%s::text[], %s::jsonb[]) WITH ORDINALITY AS t(k, d, n) ORDER BY n ON CONFLICT DO NOTHING",
            (event_id, now, self.owner, self.lease, keys, [Jsonb(fresh[k]) for k in keys]))

    def pending(self) -> list[Delivery]:
        """Pending deliveries no other live process holds, oldest queued first, claimed for this one."""
        rows = self._db.all(_CLAIM_PENDING, {"me": self.owner, "lease": self.lease})
        found = [(decode(Delivery, doc), seq) for doc, seq in rows]
        found.sort(key=lambda f: (f[0].queued_at.timestamp() if f[0].queued_at else 0.0, f[1]))
        return [d for d, _ in found]

    def get(self, event_id: str, chat_id: int | str) -> Delivery | None:
        row = self._db.one("SELECT doc FROM tw_deliveries WHERE event_id = %s AND chat_key = %s", (event_id, str(chat_id)))
        return None if row is None else decode(Delivery, row[0])

    def claim(self, event_id: str, chat_id: int | str, now: datetime) -> bool:
        """Take the delivery for one send (attempts + 1, lease renewed); False when it is not
        pending or another process holds it."""
        key = {"e": event_id, "c": str(chat_id), "me": self.owner}
        self._renew_leases()
        with self._db.transaction() as cur:
            row = cur.execute(f"SELECT doc, status = 'pending' AND {_FREE} FROM tw_deliveries "
                              "WHERE event_id = %(e)s AND chat_key = %(c)s FOR UPDATE SKIP LOCKED", key).fetchone()
            if row is None:
                if cur.execute("SELECT 1 FROM tw_deliveries WHERE event_id = %(e)s AND chat_key = %(c)s", key).fetchone():
                    return False                                  # another process is claiming it now
                delivery = Delivery(event_id=event_id, chat_id=chat_id, queued_at=now)
            elif not row[1]:
                return False
            else:
                delivery = decode(Delivery, row[0])
            self._upsert(cur, replace(delivery, attempts=delivery.attempts + 1), held=True)
            return True

    def _renew_leases(self) -> None:
        """While this process keeps sending, keep every claim it holds (a broadcast longer than the
        lease stays with it); renewed at most every third of a lease. A process that stops sending
        without dying stops renewing, and its claims go to the others when the lease ends."""
        now = time.monotonic()
        if now - self._renewed_at >= self.lease.total_seconds() / 3:
            self._renewed_at = now
            self._db.run("UPDATE tw_deliveries SET claimed_until = clock_timestamp() + %s "
                         "WHERE claimed_by = %s AND status = 'pending'", (self.lease, self.owner))

    def mark_sending(self, event_id: str, chat_id: int | str, now: datetime) -> None:
        self._change(event_id, chat_id, now, lambda d: replace(d, attempts=d.attempts + 1), held=True)

    def mark_sent(self, event_id: str, chat_id: int | str, message_id: int, now: datetime, reports: int = 1) -> None:
        self._change(event_id, chat_id, now, lambda d: replace(
            d, status="sent", message_id=message_id, sent_at=now, error=None, edited_reports=reports))

    def mark_failed(self, event_id: str, chat_id: int | str, error: str, now: datetime, final: bool) -> None:
        """Record an error; `final=False` keeps it pending (and held by this process until the lease ends)."""
        self._change(event_id, chat_id, now, lambda d: replace(d, status="failed" if final else "pending", error=error),
                     held=not final)

    def mark_edited(self, event_id: str, chat_id: int | str, reports: int) -> None:
        if self.get(event_id, chat_id) is not None:
            self._change(event_id, chat_id, None, lambda d: replace(d, edited_reports=reports), keep_claim=True)

    def sent_for(self, event_id: str, since: datetime | None = None) -> list[Delivery]:
        rows = self._db.all("SELECT doc FROM tw_deliveries WHERE event_id = %s AND status = 'sent' "
                            "AND (%s::timestamptz IS NULL OR touched_at >= %s) ORDER BY seq", (event_id, since, since))
        return [decode(Delivery, doc) for doc, in rows]

    def move_chat(self, old_chat_id: int | str, new_chat_id: int | str) -> None:
        """Re-address pending deliveries of a migrated chat to its new id (one transaction)."""
        if str(old_chat_id) == str(new_chat_id):
            return
        with self._db.transaction() as cur:
            rows = cur.execute("DELETE FROM tw_deliveries WHERE chat_key = %s AND status = 'pending' RETURNING doc",
                               (str(old_chat_id),)).fetchall()
            for doc, in rows:
                moved = replace(decode(Delivery, doc), chat_id=new_chat_id)
                cur.execute("INSERT INTO tw_deliveries (event_id, chat_key, status, queued_at, doc) "
                            "VALUES (%s, %s, 'pending', %s, %s) ON CONFLICT DO NOTHING",
                            (moved.event_id, str(new_chat_id), moved.queued_at, Jsonb(encode(moved))))

    def all(self) -> list[Delivery]:
        """Every record, oldest queued first (for exports)."""
        rows = self._db.all("SELECT doc FROM tw_deliveries ORDER BY queued_at NULLS FIRST, seq")
        return [decode(Delivery, doc) for doc, in rows]

    def stats(self) -> dict[str, int]:
        counts = dict(self._db.all("SELECT status, count(*) FROM tw_deliveries GROUP BY status"))
        return {**dict.fromkeys(STATUSES, 0), **counts}

    def prune(self, before: datetime) -> int:
        """Remove finished deliveries last touched before `before`; pending ones are kept."""
        return self._db.run("DELETE FROM tw_deliveries WHERE status <> 'pending' AND touched_at < %s", (before,))

    def _change(self, event_id, chat_id, now, change, held: bool = False, keep_claim: bool = False) -> None:
        with self._db.transaction() as cur:
            row = cur.execute("SELECT doc, claimed_by FROM tw_deliveries WHERE event_id = %s AND chat_key = %s FOR UPDATE",
                              (event_id, str(chat_id))).fetchone()
            delivery = decode(Delivery, row[0]) if row else Delivery(event_id=event_id, chat_id=chat_id, queued_at=now)
            if keep_claim:
                cur.execute("UPDATE tw_deliveries SET doc = %s WHERE event_id = %s AND chat_key = %s",
                            (Jsonb(encode(change(delivery))), event_id, str(chat_id)))
            else:
                self._upsert(cur, change(delivery), held=held)

    def _upsert(self, cur, delivery: Delivery, held: bool) -> None:
        cur.execute(_UPSERT, {
            "event_id": delivery.event_id, "chat_key": str(delivery.chat_id), "status": delivery.status,
            "queued_at": delivery.queued_at, "touched_at": delivery.sent_at or delivery.queued_at,
            "claimed_by": self.owner if held and delivery.status == "pending" else None,
            "lease": self.lease, "doc": Jsonb(encode(delivery))})
