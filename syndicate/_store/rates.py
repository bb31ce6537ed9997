"""Limits that hold for a whole site, however many processes share its store: the send
rate of every dispatch worker together, and `serve`'s sign-up limits across instances.

Times are the store's clock (the PostgreSQL server's, shared by every machine), in
seconds since the epoch; each machine only measures how long to wait from now.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syndicate._store.database import Database


class SendPace:
    """Slots for sending, `interval` seconds apart across every worker of the site."""

    def __init__(self, store: Database, name: str = "dispatch") -> None:
        self.store = store
        self.name = name

    def reserve(self, count: int, interval: float) -> float:
        """Reserve `count` slots in a row; how many seconds from now the first one is
        (the others follow it, `interval` apart). Never earlier than now: unused time
        is not saved up."""
        span = count * interval

        def reserve() -> float:
            with self.store.transaction(rows_only=True) as db:
                now = db.clock().timestamp()
                db.execute(
                    "INSERT INTO pace (name, next_at) VALUES (?, ?)"
                    " ON CONFLICT (name) DO UPDATE"
                    f" SET next_at = {db.greatest}(pace.next_at, ?) + ?",
                    (self.name, now + span, now, span),
                )
                # Read back in the same transaction, the row still locked: no RETURNING,
                # which SQLite before 3.35 does not know.
                end = db.execute("SELECT next_at FROM pace WHERE name = ?", (self.name,))
                return float(end.fetchone()[0]) - span - now

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
        with self.store.transaction(rows_only=True) as db:
            now = db.clock().timestamp()
            period = int(now // window)
            db.execute(
                "INSERT INTO rate_count (key, period, count, previous) VALUES (?, ?, 1, 0)"
                " ON CONFLICT (key) DO UPDATE SET"
                " previous = CASE WHEN rate_count.period = excluded.period"
                " THEN rate_count.previous WHEN rate_count.period = excluded.period - 1"
                " THEN rate_count.count ELSE 0 END,"
                " count = CASE WHEN rate_count.period = excluded.period"
                " THEN rate_count.count + 1 ELSE 1 END,"
                " period = excluded.period",
                (key, period),
            )
            current, previous = db.execute(
                "SELECT count, previous FROM rate_count WHERE key = ?", (key,)
            ).fetchone()
            if random.random() < 0.01:  # now and then, forget the keys gone quiet
                db.execute("DELETE FROM rate_count WHERE period < ?", (period - 1,))
        inside = 1 - (now / window - period)  # of the period before, the part still inside
        return int(current) + int(previous) * inside <= limit
