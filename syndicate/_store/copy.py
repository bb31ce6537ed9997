"""A site's SQLite store copied into an empty PostgreSQL database (`syndicate state
copy`): every table, in one transaction, row counts checked before it commits."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from syndicate._store.address import StoreAddress
from syndicate._store.dialect import Sql
from syndicate._store.schema_postgres import TABLES
from syndicate._store.store import StateStore
from syndicate.errors import StateError

CHUNK = 5000  # rows read and written at a time: memory stays flat however many


@dataclass(frozen=True)
class CopiedStore:
    source: str
    target: str
    rows: dict[str, int]  # per table, as counted in the target after the copy

    def as_json(self) -> dict[str, object]:
        return {"source": self.source, "target": self.target, "rows": self.rows}


def copy_store(source: Path, target: StoreAddress) -> CopiedStore:
    """Copy the SQLite store at `source` (migrated to this version first, in place)
    into the empty PostgreSQL database at `target`; refuse a target with any row."""
    if not source.is_file():
        raise StateError("there is no SQLite state store to copy here", file=source)
    if target.url is None:
        raise StateError("the target of a copy must be a PostgreSQL URL", field="--to")
    with StateStore(source) as old, StateStore(target) as new:
        shown = target.shown()
        filled = {table: n for table in TABLES if (n := _count(new, table))}
        if filled:
            listed = ", ".join(f"{table} ({n} rows)" for table, n in filled.items())
            raise StateError(f"the target is not empty: {listed}; nothing was copied", file=shown)
        counts = {table: _count(old, table) for table in TABLES}
        with new.transaction() as db:
            for table in TABLES:
                rows = old.db.execute(f"SELECT * FROM {table}")
                columns = [column[0] for column in rows.description]
                insert = (
                    f"INSERT INTO {table} ({', '.join(columns)})"
                    f" VALUES ({', '.join('?' * len(columns))})"
                )
                while chunk := list(islice(rows, CHUNK)):
                    db.executemany(insert, chunk)
            # Ids are never given twice, not even those of subscribers forgotten before.
            for table in ("subscriber", "bounce_event"):
                db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ?, false)",
                    (_next_id(old, table),),
                )
            copied = {table: _count_in(db, table) for table in TABLES}
            if copied != counts:
                wrong = [t for t in TABLES if copied[t] != counts[t]]
                raise StateError(f"row counts differ after copying {', '.join(wrong)}", file=shown)
    return CopiedStore(str(source), shown, copied)


def _count(store: StateStore, table: str) -> int:
    return _count_in(store.db, table)


def _count_in(db: Sql, table: str) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _next_id(store: StateStore, table: str) -> int:
    """The first id not yet given in the SQLite table (AUTOINCREMENT remembers the
    highest ever given, deleted rows included)."""
    highest = store.db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]
    given = store.db.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = ?", (table,)
    ).fetchone()[0]
    return max(int(highest), int(given)) + 1
