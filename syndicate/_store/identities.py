"""Identity that never drifts: when an article was first seen, and its URL slug.

Both are settled the first time an id is seen and kept in the state store, so a
retitled story keeps its URL, a deleted story's URL is never handed to another,
and an undated story keeps its date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate._store.schema import stored_time
from syndicate._util.text import unique_slug

if TYPE_CHECKING:
    from syndicate._store.database import Database


@dataclass(frozen=True, slots=True)
class Identity:
    first_seen: datetime
    slug: str


# (article id, the slug it would like) -> identities, recording the new ones.
Identities = Callable[[Sequence[tuple[str, str]]], Mapping[str, Identity]]


def assign_new(
    proposals: Iterable[tuple[str, str]],
    known: Mapping[str, Identity],
    taken: set[str],
    now: datetime,
) -> dict[str, Identity]:
    """Identities for the ids not in `known`, in id order so that clashes settle the same way."""
    fresh: dict[str, Identity] = {}
    for article_id, wanted in sorted(set(proposals)):
        if article_id not in known and article_id not in fresh:
            fresh[article_id] = Identity(now, unique_slug(wanted, taken))
    return fresh


def in_memory(now: datetime) -> Identities:
    """Identities that are not kept: for a look at one file outside a site, and for tests."""

    def identities(proposals: Sequence[tuple[str, str]]) -> Mapping[str, Identity]:
        return assign_new(proposals, {}, set(), now)

    return identities


class IdentityTable:
    """The identities recorded in a state store."""

    def __init__(self, store: Database) -> None:
        self._store = store

    def settle(self, proposals: Sequence[tuple[str, str]], now: datetime) -> dict[str, Identity]:
        """Each id's identity; ids new to the store get `now` and a free slug, recorded."""
        ids = list(dict.fromkeys(article_id for article_id, _ in proposals))
        stamp = stored_time(now)
        with self._store.transaction() as db:
            known: dict[str, Identity] = {}
            first_seen_before: dict[str, str] = {}
            # Chunked: SQLite limits the number of parameters of one statement.
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = db.execute(
                    "SELECT article_id, first_seen, slug FROM article_identity"
                    f" WHERE article_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                for article_id, first_seen, slug in rows:
                    if slug is None:  # seen before slugs were kept
                        first_seen_before[article_id] = first_seen
                    else:
                        known[article_id] = Identity(datetime.fromisoformat(first_seen), slug)
            if len(known) < len(ids):
                taken = {row[0] for row in db.execute("SELECT slug FROM article_identity")}
                fresh = assign_new(proposals, known, taken, datetime.fromisoformat(stamp))
                db.executemany(
                    "INSERT INTO article_identity (article_id, first_seen, slug) VALUES (?, ?, ?)"
                    " ON CONFLICT (article_id) DO UPDATE SET slug = excluded.slug",
                    [(i, stamp, identity.slug) for i, identity in fresh.items()],
                )
                for article_id, identity in fresh.items():
                    earlier = first_seen_before.get(article_id)
                    if earlier is not None:
                        identity = Identity(datetime.fromisoformat(earlier), identity.slug)
                    known[article_id] = identity
        return known

    def stamp(self) -> tuple[object, ...]:
        """A summary of every identity recorded: what normalising read from the store, in
        short (identities are only ever added)."""
        row = self._store.db.execute(
            "SELECT count(*), min(first_seen), max(first_seen), COALESCE(SUM(length(slug)), 0),"
            " count(slug) FROM article_identity"
        ).fetchone()
        return tuple(row)
