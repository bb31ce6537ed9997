"""The two engines under the state store, and every difference between them.

The table modules write one SQL text for both, with `?` placeholders, and run it on a
`Sql` connection; what differs (placeholders, how a write transaction begins, row
locks that skip, a couple of function names, what a lost connection looks like) is
here, and nowhere else.

SQLite: one writer at a time (BEGIN IMMEDIATE), on one machine. PostgreSQL: a write
transaction takes a transaction-level advisory lock first, so that the writes which
read-then-write (an import, an identity settled) are as serial as on SQLite; the
ledger's claims and outcomes instead lock only their own rows (`rows_only`), so that
dispatch workers on many machines go side by side.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from syndicate.errors import StateError, StoreUnreachable

if TYPE_CHECKING:
    import psycopg

# Keys of PostgreSQL advisory locks; one database per site, so constants will do.
WRITER_LOCK = 0x5359_4E44_0001  # a write transaction (as SQLite's one writer)
MIGRATION_LOCK = 0x5359_4E44_0002  # a schema migration
PUBLISH_LOCK = 0x5359_4E44_0003  # one build or publish at a time, on any machine
WORKER_LOCK_SPACE = 0x5359_4E45  # (this, a hash of a worker's id): one worker per id


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Sql(ABC):
    """A connection to the store, as the table modules use it."""

    greatest: str  # the larger of two values: max() in SQLite, GREATEST() in PostgreSQL
    skip_locked: str  # appended to a SELECT that claims rows other workers may hold
    for_update: str  # appended to a SELECT whose rows the transaction goes on to change

    @abstractmethod
    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None: ...

    @abstractmethod
    def begin(self, *, rows_only: bool) -> None: ...

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def clock(self) -> datetime:
        """Now, by the store's clock: one clock for every machine that shares it (a
        worker's clock that runs ahead must not see live leases as expired)."""


class SqliteSql(Sql):
    greatest, skip_locked, for_update = "max", "", ""

    def __init__(self, path: Path) -> None:
        self.raw = sqlite3.connect(path, timeout=30, isolation_level=None)

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self.raw.executemany(sql, rows)

    # SQLite's own errors pass through as they are: Database turns them into the
    # store's where they end a transaction, and its tests look for them as they are.

    def begin(self, *, rows_only: bool) -> None:
        self.raw.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if self.raw.in_transaction:
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()

    def clock(self) -> datetime:
        return datetime.now(UTC)  # one machine: its own clock is the store's


class PostgresSql(Sql):
    greatest = "GREATEST"
    skip_locked, for_update = " FOR UPDATE SKIP LOCKED", " FOR UPDATE"

    def __init__(self, raw: psycopg.Connection[Any], where: str) -> None:
        self.raw = raw
        self.where = where  # the store, as errors name it (no password)
        self._texts: dict[str, str] = {}

    def _text(self, sql: str) -> str:
        text = self._texts.get(sql)
        if text is None:  # no statement of ours has a ? or a % inside a literal
            text = self._texts[sql] = sql.replace("%", "%%").replace("?", "%s")
        return text

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        """As psycopg's, but that every error is the store's (StoreUnreachable for a
        server gone away), wherever the statement runs."""
        try:
            if not params:  # run as written (several statements may be sent at once)
                return self.raw.execute(sql)
            return self.raw.execute(self._text(sql), params)
        except Exception as exc:
            raise _ours(exc, self.where) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        try:
            with self.raw.cursor() as cursor:
                cursor.executemany(self._text(sql), rows)
        except Exception as exc:
            raise _ours(exc, self.where) from None

    def begin(self, *, rows_only: bool) -> None:
        self.execute("BEGIN")
        if not rows_only:
            self.execute("SELECT pg_advisory_xact_lock(?)", (WRITER_LOCK,))

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        if not self.raw.closed and self.raw.info.transaction_status != 0:  # not IDLE
            self.raw.execute("ROLLBACK")

    def clock(self) -> datetime:
        moment: datetime = self.execute("SELECT clock_timestamp()").fetchone()[0]
        return moment.astimezone(UTC)

    def close(self) -> None:
        self.raw.close()


def connect_postgres(url: str, setting: str, shown: str, application: str) -> PostgresSql:
    """A connection to `url` in autocommit mode (transactions are begun by hand, as on
    SQLite); one clear error naming `setting` if the server cannot be had."""
    import psycopg

    try:
        raw = psycopg.connect(
            url, autocommit=True, connect_timeout=10, application_name=application[:63]
        )
    except psycopg.OperationalError as exc:
        raise StoreUnreachable(
            f"cannot connect to the PostgreSQL store {shown} ({_first_line(exc)})",
            field=setting,
        ) from None
    except psycopg.Error as exc:
        raise StateError(
            f"not a usable PostgreSQL URL ({_first_line(exc)})", field=setting
        ) from None
    return PostgresSql(raw, shown)


def translated(exc: Exception, where: str) -> StateError | None:
    """The store's error for a driver's `exc` (None: not a driver error)."""
    if isinstance(exc, sqlite3.DatabaseError):
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return StateError(f"the state store is busy ({exc})", file=where)
        return StateError(f"the state store failed ({exc})", file=where)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        if isinstance(exc, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure):
            return StoreUnreachable(f"the state store gave way ({_first_line(exc)})", file=where)
        return StoreUnreachable(f"lost the state store ({_first_line(exc)})", file=where)
    if isinstance(exc, psycopg.Error):
        return StateError(f"the state store failed ({_first_line(exc)})", file=where)
    return None


def _ours(exc: Exception, where: str) -> Exception:
    return translated(exc, where) or exc


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
