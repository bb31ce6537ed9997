"""Each story's position in each feed, so that archive pages never shift (see
feeds/paging.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syndicate._store.database import Database


class FeedPositions:
    def __init__(self, store: Database) -> None:
        self._store = store

    def place(self, feed: str, ordered_ids: Sequence[str]) -> dict[str, int]:
        """Each story's position in `feed`; stories new to it go at the end, in order."""
        # Only the positions asked for are kept, not the feed's whole history (stories
        # deleted long ago included): a build's memory follows the site, not its past.
        placed = dict.fromkeys(ordered_ids, 0)  # positions start at 1
        last = 0
        with self._store.transaction() as db:
            rows = db.execute(
                "SELECT article_id, position FROM feed_position WHERE feed = ?", (feed,)
            )
            for article_id, position in rows:
                last = max(last, position)
                if article_id in placed:
                    placed[article_id] = position
            fresh = [article_id for article_id, position in placed.items() if not position]
            for number, article_id in enumerate(fresh, start=1):
                placed[article_id] = last + number
            db.executemany(
                "INSERT INTO feed_position (feed, article_id, position) VALUES (?, ?, ?)",
                ((feed, article_id, placed[article_id]) for article_id in fresh),
            )
        return placed

    def summary(self) -> tuple[object, ...]:
        """Every position recorded, in short: how many, their sum and the largest
        (positions are only ever added)."""
        row = self._store.db.execute(
            "SELECT count(*), COALESCE(SUM(position), 0), max(position) FROM feed_position"
        ).fetchone()
        return tuple(row)
