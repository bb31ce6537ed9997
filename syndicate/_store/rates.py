"""Limits that hold for a whole site, however many processes share its store: the send
rate of every dispatch worker together, and `serve`'s sign-up limits across instances.

Times are the machines' wall clocks (seconds since the epoch): a clock that is off by
a little makes a limit a little loose or tight, never lost.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syndicate._store.database import Database


class SendPace:
    """Slots for sending, `interval` seconds apart across every worker of the site."""

    def __init__(self, store: Database, name: str = "dispatch") -> None:
        self.store = store
        self.name = name

    def reserve(self, count: int, interval: float) -> float:
        """Reserve `count` slots in a row; when the first one is (the others follow it,
        `interval` apart). Never earlier than now: unused time is not saved up."""
        span = count * interval

        def reserve() -> float:
            now = time.time()
            with self.store.transaction(rows_only=True) as db:
                end = db.execute(
                    "INSERT INTO pace (name, next_at) VALUES (?, ?)"
                    " ON CONFLICT (name) DO UPDATE"
                    f" SET next_at = {db.greatest}(pace.next_at, ?) + ?"
                    " RETURNING next_at",
                    (self.name, now + span, now, span),
                ).fetchone()[0]
            return float(end) - span

        return self.store.retrying(reserve)


class RateCounts:
    """How often each key (a client, an address) has done something lately, counted in
    the store, so that every `serve` instance sees the same counts. The window slides:
    the count of the period before is weighed by how much of it still falls inside."""

    def __init__(self, store: Database) -> None:
        self.store = store

    def allow(self, key: str, limit: int, window: float) -> bool:
        """Count one more for `key`; whether it is within `limit` per `window` seconds.
        Refused tries count too: a flood stays refused while it goes on."""
        now = time.time()
        period = int(now // window)
        with self.store.transaction(rows_only=True) as db:
            current, previous = db.execute(
                "INSERT INTO rate_count (key, period, count, previous) VALUES (?, ?, 1, 0)"
                " ON CONFLICT (key) DO UPDATE SET"
                " previous = CASE WHEN rate_count.period = excluded.period"
                " THEN rate_count.previous WHEN rate_count.period = excluded.period - 1"
                " THEN rate_count.count ELSE 0 END,"
                " count = CASE WHEN rate_count.period = excluded.period"
                " THEN rate_count.count + 1 ELSE 1 END,"
                " period = excluded.period"
                " RETURNING count, previous",
                (key, period),
            ).fetchone()
            if random.random() < 0.01:  # now and then, forget the keys gone quiet
                db.execute("DELETE FROM rate_count WHERE period < ?", (period - 1,))
        inside = 1 - (now / window - period)  # of the period before, the part still inside
        return int(current) + int(previous) * inside <= limit
