"""When to try pending deliveries again: rounds with backoff, for the outbox's retry job.

A delivery that did not go out (network errors past the sender's 1+2+4 s backoff, Telegram
answering 5xx, an answer the library could not read) stays pending in the outbox. The retry job
(`Deliverer.retry_pending`, run by the JobQueue every few seconds: jobs.RETRY_TICK) tries them again in
rounds: the first round GAPS[0] after it first sees them pending, each later one GAPS[k] after the
round before, the last gap repeating while they keep failing. So an alert follows the end of an
outage within about GAPS[-1] + the tick + the sender's backoff (about 45 s), with no new news
needed; the schedule starts over once nothing is pending. Each round first tries the least tried
pending delivery alone (the probe) and the rest only once it went out, so a long outage costs one
try a round, not one per chat. A delivery is given up (failed, logged) after MAX_ATTEMPTS tries
or once it is older than the edit window (TW_EDIT_HOURS: it is no longer news).

Pure: the caller gives the time (monotonic seconds).
"""
from __future__ import annotations

from dataclasses import dataclass

GAPS = (15.0, 30.0)      # seconds before the first retry round, then between rounds
MAX_ATTEMPTS = 120       # tries of one delivery (about an hour of rounds) before it is given up


@dataclass
class RetrySchedule:
    """Whether a retry round is due now; `finished` after each round, `is_due` on each tick."""

    gaps: tuple[float, ...] = GAPS
    rounds: int = 0
    due: float | None = None

    def is_due(self, now: float, pending: bool) -> bool:
        """A round is due when something has been pending for the current gap; nothing pending
        starts the schedule over."""
        if not pending:
            self.rounds, self.due = 0, None
            return False
        if self.due is None:
            self.due = now + self.gaps[0]
        return now >= self.due

    def finished(self, now: float) -> float:
        """Count a round that left something pending; returns the seconds until the next."""
        self.rounds += 1
        gap = self.gaps[min(self.rounds, len(self.gaps) - 1)]
        self.due = now + gap
        return gap
