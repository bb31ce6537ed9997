"""The database under the state store: one SQLite file per site, `.syndicate/state.db`,
opened (created and migrated as needed), with transactions.

Writes happen in transactions (WAL mode), so a crash never leaves half a change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from syndicate._store.schema import migrate, schema_version
from syndicate.errors import StateError


class Database:
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
            with self.transaction() as db:  # foreign keys are off while it migrates
                migrate(db, path)
            self._db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StateError(f"not a usable state store ({exc})", file=path) from None

    def __enter__(self) -> Database:
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
        """The connection: for the table groups of this package, and for tests that
        look inside. Nothing outside `_store/` writes SQL."""
        return self._db

    @property
    def schema_version(self) -> int:
        return schema_version(self._db)

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
