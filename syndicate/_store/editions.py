"""Digest editions: when each was made and which stories it carried."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from syndicate._store.schema import stored_time
from syndicate._store.sends import queue_sends

if TYPE_CHECKING:
    from syndicate._store.database import Database


@dataclass(frozen=True, slots=True)
class EditionRecord:
    edition_id: str
    created_at: datetime
    article_ids: tuple[str, ...]


def _edition(row: tuple[str, str, str]) -> EditionRecord:
    return EditionRecord(row[0], datetime.fromisoformat(row[1]), tuple(json.loads(row[2])))


class EditionTable:
    def __init__(self, store: Database) -> None:
        self._store = store

    def last(self) -> EditionRecord | None:
        row = self._store.db.execute(
            "SELECT edition_id, created_at, article_ids FROM edition"
            " ORDER BY created_at DESC, edition_id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _edition(row)

    def all(self) -> list[EditionRecord]:
        """Every recorded edition, newest first."""
        rows = self._store.db.execute(
            "SELECT edition_id, created_at, article_ids FROM edition"
            " ORDER BY created_at DESC, edition_id DESC"
        )
        return [_edition(row) for row in rows]

    def record(
        self,
        edition: EditionRecord,
        variants: Mapping[str, str] | None = None,
        sends: Iterable[tuple[int, str]] = (),
    ) -> None:
        """Record an edition; with `variants` (each variant's rendered text by key), its
        variants and its `sends` (subscriber id, variant key) queued in the same
        transaction, so that an edition is never recorded without them."""
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO edition (edition_id, created_at, article_ids) VALUES (?, ?, ?)",
                (
                    edition.edition_id,
                    stored_time(edition.created_at),
                    json.dumps(list(edition.article_ids)),
                ),
            )
            if variants is not None:
                queue_sends(db, edition.edition_id, variants, sends)
