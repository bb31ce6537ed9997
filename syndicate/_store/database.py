"""The database under the state store: a SQLite file per site (`.syndicate/state.db`,
the default) or a PostgreSQL database that several machines share, opened (created
and migrated as needed), with transactions.

Writes happen in transactions, so a crash never leaves half a change. A PostgreSQL
server that goes away (restarted, failed over) is a StoreUnreachable: `retrying` runs
a piece of work again on a new connection, with backoff, for the work that must carry
on through it (a dispatch).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from syndicate._store.address import StoreAddress
from syndicate._store.dialect import Sql, SqliteSql, connect_postgres, translated
from syndicate._store.schema import migrate, schema_version
from syndicate._store.schema_postgres import migrate_postgres, postgres_version
from syndicate.errors import StateError, StoreUnreachable

T = TypeVar("T")


class Database:
    """Open (creating and migrating as needed) the store at `target`: a SQLite file's
    path, or a StoreAddress."""

    def __init__(self, target: Path | StoreAddress) -> None:
        self.address = target if isinstance(target, StoreAddress) else StoreAddress(path=target)
        self.where = self.address.shown()
        self._db = self._open()

    def _open(self) -> Sql:
        if self.address.url is not None:
            return self._open_postgres(self.address.url)
        path = self.address.path or Path(".syndicate/state.db")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = SqliteSql(path)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the state store ({exc})", file=path) from None
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.begin(rows_only=False)  # foreign keys are off while it migrates
            try:
                migrate(db.raw, path)
                db.commit()
            except BaseException:
                db.rollback()
                raise
            db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            db.close()
            raise StateError(f"not a usable state store ({exc})", file=path) from None
        return db

    def _open_postgres(self, url: str) -> Sql:
        application = f"syndicate {socket.gethostname()} pid {os.getpid()}"
        db = connect_postgres(url, self.address.setting, self.where, application)
        try:
            migrate_postgres(db, self.where)
        except Exception as exc:
            db.close()
            error = translated(exc, self.where)
            if error is None:
                raise
            raise error from None
        return db

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
    def db(self) -> Sql:
        """The connection: for the table groups of this package, and for tests that
        look inside. Nothing outside `_store/` writes SQL."""
        return self._db

    @property
    def schema_version(self) -> int:
        if isinstance(self._db, SqliteSql):
            return schema_version(self._db.raw)
        return postgres_version(self._db) or 0  # type: ignore[arg-type]

    @contextmanager
    def transaction(self, *, rows_only: bool = False) -> Iterator[Sql]:
        """BEGIN ... COMMIT, or ROLLBACK on any exception. A transaction writes alone
        (SQLite's BEGIN IMMEDIATE; PostgreSQL: the store's writer lock) unless
        `rows_only`: then, on PostgreSQL, it locks only the rows it touches."""
        try:
            self._db.begin(rows_only=rows_only)
        except Exception as exc:
            raise self._translated(exc) from None
        try:
            yield self._db
            self._db.commit()
        except Exception as exc:
            self._quietly_roll_back()
            error = translated(exc, self.where)
            if error is None:
                raise
            raise error from None
        except BaseException:
            self._quietly_roll_back()
            raise

    def retrying(self, work: Callable[[], T], *, patience: float = 300.0) -> T:
        """`work()`, run again on a new connection while the server is unreachable (or a
        transaction gave way to another), for up to `patience` seconds. `work` must be
        safe to run twice: a commit whose answer was lost may have happened."""
        deadline = time.monotonic() + patience
        delay = 0.2
        while True:
            try:
                return work()
            except StoreUnreachable:
                if time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            self._reconnect(deadline)

    def _reconnect(self, deadline: float) -> None:
        url = self.address.url
        if url is None:
            return  # a SQLite file does not go away
        self._quietly_roll_back()
        delay = 0.2
        while True:
            try:
                fresh = self._open_postgres(url)
            except StoreUnreachable:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            old, self._db = self._db, fresh
            with contextlib.suppress(Exception):  # already broken
                old.close()
            return

    def _translated(self, exc: Exception) -> Exception:
        error = translated(exc, self.where)
        return exc if error is None else error

    def _quietly_roll_back(self) -> None:
        with contextlib.suppress(Exception):  # the connection is gone: so is the transaction
            self._db.rollback()
