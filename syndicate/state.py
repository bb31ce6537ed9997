"""The state store: one SQLite file per site, `.syndicate/state.db`.

Writes happen in transactions (WAL mode), so a crash never leaves half a change.
The schema is versioned with `PRAGMA user_version`; each migration runs once, in
order, inside the transaction that bumps the version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from syndicate.errors import StateError
from syndicate.identity import Identity, assign_new

MIGRATIONS: tuple[str, ...] = (
    # 1: each article id's first sight (the date of undated records) and its slug.
    """
    CREATE TABLE article_identity (
        article_id TEXT PRIMARY KEY,
        first_seen TEXT NOT NULL,
        slug       TEXT NOT NULL UNIQUE
    ) WITHOUT ROWID;
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
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

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
            # Chunked: SQLite limits the number of parameters of one statement.
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = db.execute(
                    "SELECT article_id, first_seen, slug FROM article_identity"
                    f" WHERE article_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                known.update(
                    (row[0], Identity(datetime.fromisoformat(row[1]), row[2])) for row in rows
                )
            if len(known) < len(ids):
                taken = {row[0] for row in db.execute("SELECT slug FROM article_identity")}
                fresh = assign_new(proposals, known, taken, datetime.fromisoformat(stamp))
                db.executemany(
                    "INSERT INTO article_identity (article_id, first_seen, slug) VALUES (?, ?, ?)",
                    [(i, stamp, identity.slug) for i, identity in fresh.items()],
                )
                known.update(fresh)
        return known
