"""The state store: one SQLite file per site, `.syndicate/state.db`.

Writes happen in transactions (WAL mode), so a crash never leaves half a change.
The schema is versioned with `PRAGMA user_version`; each migration runs once, in
order, inside the transaction that bumps the version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from syndicate.errors import StateError
from syndicate.site.identity import Identity, assign_new

MIGRATIONS: tuple[str, ...] = (
    # 1: when each article id was first seen, so that undated records keep their date.
    """
    CREATE TABLE first_seen (
        article_id TEXT PRIMARY KEY,
        seen_at    TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 2: and its URL slug, settled once; rows from version 1 get theirs on next sight.
    """
    ALTER TABLE first_seen RENAME TO article_identity;
    ALTER TABLE article_identity RENAME COLUMN seen_at TO first_seen;
    ALTER TABLE article_identity ADD COLUMN slug TEXT;
    CREATE UNIQUE INDEX article_identity_slug ON article_identity (slug);
    """,
    # 3: digest editions: when each was made and which stories it carried.
    """
    CREATE TABLE edition (
        edition_id  TEXT PRIMARY KEY,
        created_at  TEXT NOT NULL,
        article_ids TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 4: each story's position in each feed, so that archive pages never shift.
    """
    CREATE TABLE feed_position (
        feed       TEXT NOT NULL,
        article_id TEXT NOT NULL,
        position   INTEGER NOT NULL,
        PRIMARY KEY (feed, article_id)
    ) WITHOUT ROWID;
    """,
    # 5: subscribers, the addresses never to mail again, each edition's message
    # variants, and the send ledger: one row per (edition, subscriber).
    """
    CREATE TABLE subscriber (
        id         INTEGER PRIMARY KEY,
        email      TEXT NOT NULL UNIQUE,
        name       TEXT NOT NULL DEFAULT '',
        sections   TEXT NOT NULL DEFAULT '[]',
        status     TEXT NOT NULL CHECK (status IN ('active', 'pending', 'unsubscribed', 'bounced')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE suppression (
        email    TEXT PRIMARY KEY,
        reason   TEXT NOT NULL,
        added_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE edition_variant (
        edition_id TEXT NOT NULL REFERENCES edition (edition_id),
        variant    TEXT NOT NULL,
        rendered   TEXT NOT NULL,
        PRIMARY KEY (edition_id, variant)
    ) WITHOUT ROWID;
    CREATE TABLE send (
        edition_id    TEXT NOT NULL REFERENCES edition (edition_id),
        subscriber_id INTEGER NOT NULL REFERENCES subscriber (id),
        variant       TEXT NOT NULL,
        status        TEXT NOT NULL
                      CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        detail        TEXT NOT NULL DEFAULT '',
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (edition_id, subscriber_id)
    ) WITHOUT ROWID;
    CREATE INDEX send_open ON send (status) WHERE status IN ('queued', 'sending');
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StateStore:
    """Open (creating and migrating as needed) the store at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the state store ({exc})", file=path) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StateError(f"not a usable state store ({exc})", file=path) from None

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @property
    def db(self) -> sqlite3.Connection:
        """For reads by the stores built on this one (subscribers, the send ledger)."""
        return self._db

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StateError(f"the state store is busy ({exc})", file=self.path) from None
        try:
            yield self._db
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise StateError(f"the state store failed ({exc})", file=self.path) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StateError(
                    f"schema version {version} is newer than this syndicate knows "
                    f"({SCHEMA_VERSION}); upgrade syndicate",
                    file=self.path,
                )
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")

    def identities(
        self, proposals: Sequence[tuple[str, str]], now: datetime
    ) -> dict[str, Identity]:
        """Each id's identity; ids new to the store get `now` and a free slug, recorded."""
        ids = list(dict.fromkeys(article_id for article_id, _ in proposals))
        stamp = now.astimezone(UTC).isoformat(timespec="seconds")
        with self.transaction() as db:
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

    def feed_positions(self, feed: str, ordered_ids: Sequence[str]) -> dict[str, int]:
        """Each story's position in `feed`; stories new to it go at the end, in order."""
        # Only the positions asked for are kept, not the feed's whole history (stories
        # deleted long ago included): a build's memory follows the site, not its past.
        placed = dict.fromkeys(ordered_ids, 0)  # positions start at 1
        last = 0
        with self.transaction() as db:
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

    def last_edition(self) -> EditionRecord | None:
        row = self._db.execute(
            "SELECT edition_id, created_at, article_ids FROM edition"
            " ORDER BY created_at DESC, edition_id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _edition(row)

    def editions(self) -> list[EditionRecord]:
        """Every recorded edition, newest first."""
        rows = self._db.execute(
            "SELECT edition_id, created_at, article_ids FROM edition"
            " ORDER BY created_at DESC, edition_id DESC"
        )
        return [_edition(row) for row in rows]

    def record_edition(
        self,
        edition: EditionRecord,
        then: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        """Record an edition; `then` writes what goes with it (its queued sends) in the
        same transaction, so that an edition is never recorded without them."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO edition (edition_id, created_at, article_ids) VALUES (?, ?, ?)",
                (
                    edition.edition_id,
                    edition.created_at.astimezone(UTC).isoformat(timespec="seconds"),
                    json.dumps(list(edition.article_ids)),
                ),
            )
            if then is not None:
                then(db)


@dataclass(frozen=True, slots=True)
class EditionRecord:
    edition_id: str
    created_at: datetime
    article_ids: tuple[str, ...]


def _edition(row: tuple[str, str, str]) -> EditionRecord:
    return EditionRecord(row[0], datetime.fromisoformat(row[1]), tuple(json.loads(row[2])))
