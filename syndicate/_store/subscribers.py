"""Subscribers: who gets the digest, of which sections, and who must never get it again.

Addresses come in checked and normalised (mail/subscribers.py), so that one person is
one row however they typed it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, cast

from syndicate._store.dialect import Sql
from syndicate._store.schema import stored_time

if TYPE_CHECKING:
    from syndicate._store.database import Database

Status = Literal["active", "pending", "unsubscribed", "bounced"]
STATUSES: tuple[Status, ...] = ("active", "pending", "unsubscribed", "bounced")


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    email: str
    name: str
    sections: tuple[str, ...]  # none: every section
    status: Status
    created_at: datetime
    updated_at: datetime
    language: str = ""  # '': the site's

    def as_json(self) -> dict[str, object]:
        return {
            "email": self.email,
            "name": self.name,
            "sections": list(self.sections),
            "status": self.status,
            "language": self.language,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


# An active subscriber whose address is not suppressed, as an edition's plan reads
# them: (id, the sections they chose as stored: JSON, their language: '' the site's).
Subscription = tuple[int, str, str]
PAGE = 5000  # subscribers read at a time, for an edition's plan: memory stays flat


@dataclass(frozen=True, slots=True)
class SubscriberRow:
    """One subscriber as a CSV row or a command gives it, checked."""

    email: str
    name: str | None = ""  # None: keep what is stored (a command that did not say)
    sections: tuple[str, ...] | None = ()
    status: Status = "active"
    line: int | None = None
    language: str | None = ""  # '': the site's; None: keep what is stored


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    kept_unsubscribed: int  # rows that would have resubscribed someone who left


class SubscriberBook:
    """The subscribers and the suppression list in a site's state store. Addresses are
    taken as stored: normalised (mail.subscribers.normalise_email)."""

    def __init__(self, store: Database) -> None:
        self.store = store

    def upsert(
        self,
        rows: Iterable[SubscriberRow],
        *,
        resubscribe: bool = False,
        now: datetime | None = None,
    ) -> ImportResult:
        """Add new addresses, update known ones; never turn an unsubscribed or bounced
        subscriber active again unless `resubscribe`. Running it twice changes nothing."""
        stamp = stored_time(now)
        counts = [0, 0, 0, 0]  # added, updated, unchanged, kept unsubscribed
        with self.store.transaction() as db:
            # A chunk at a time: one query for the rows already known, one statement for
            # the new ones and one for the changed (round trips count on PostgreSQL).
            chunk: dict[str, SubscriberRow] = {}
            for row in rows:
                if row.email in chunk:  # the same address twice: the last one wins
                    self._write_chunk(db, chunk, resubscribe, stamp, counts)
                    chunk = {}
                chunk[row.email] = row
                if len(chunk) >= 500:
                    self._write_chunk(db, chunk, resubscribe, stamp, counts)
                    chunk = {}
            if chunk:
                self._write_chunk(db, chunk, resubscribe, stamp, counts)
        added, updated, unchanged, kept = counts
        return ImportResult(added, updated, unchanged, kept)

    @staticmethod
    def _write_chunk(
        db: Sql,
        chunk: dict[str, SubscriberRow],
        resubscribe: bool,
        stamp: str,
        counts: list[int],
    ) -> None:
        marks = ",".join("?" * len(chunk))
        known = {
            email: (name, sections, status, language)
            for email, name, sections, status, language in db.execute(
                "SELECT email, name, sections, status, language FROM subscriber"
                f" WHERE email IN ({marks})",
                list(chunk),
            )
        }
        new: list[tuple[object, ...]] = []
        changed: list[tuple[object, ...]] = []
        for email, row in chunk.items():
            before = known.get(email)
            name = row.name if row.name is not None else (before[0] if before else "")
            sections = (
                json.dumps(list(row.sections))
                if row.sections is not None
                else (before[1] if before else "[]")
            )
            language = row.language if row.language is not None else (before[3] if before else "")
            if before is None:
                new.append((email, name, sections, row.status, language, stamp, stamp))
                continue
            status = row.status
            if before[2] in ("unsubscribed", "bounced") and status == "active" and not resubscribe:
                status = before[2]
                counts[3] += 1
            if before == (name, sections, status, language):
                counts[2] += 1
                continue
            changed.append((name, sections, status, language, stamp, email))
        if new:
            db.executemany(
                "INSERT INTO subscriber"
                " (email, name, sections, status, language, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                new,
            )
        if changed:
            db.executemany(
                "UPDATE subscriber SET name = ?, sections = ?, status = ?, language = ?,"
                " updated_at = ? WHERE email = ?",
                changed,
            )
        counts[0] += len(new)
        counts[1] += len(changed)

    def set_status(self, email: str, status: Status, now: datetime | None = None) -> bool:
        """Whether a subscriber with that address was there to change."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE subscriber SET status = ?, updated_at = ? WHERE email = ?",
                (status, stored_time(now), email),
            )
            return cursor.rowcount > 0

    def remove(self, email: str) -> bool:
        """Forget a subscriber entirely (their sends and the reports about them too): what
        a deletion request asks."""
        with self.store.transaction() as db:
            row = db.execute("SELECT id FROM subscriber WHERE email = ?", (email,)).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM send WHERE subscriber_id = ?", (row[0],))
            db.execute(
                "DELETE FROM bounce_event WHERE subscriber_id = ? OR email = ?", (row[0], email)
            )
            db.execute("DELETE FROM subscriber WHERE id = ?", (row[0],))
            return True

    def all(self) -> list[Subscriber]:
        rows = self.store.db.execute(_COLUMNS + " ORDER BY email")
        return [_subscriber(row) for row in rows]

    def find(self, email: str) -> Subscriber | None:
        """The subscriber with this address (as stored), if any."""
        row = self.store.db.execute(
            _COLUMNS + " WHERE email = ?",
            (email,),
        ).fetchone()
        return None if row is None else _subscriber(row)

    def named_by(self, who: int | str) -> Subscriber | None:
        """The subscriber a token names: by id, or (a token from before ids) by address."""
        return self.get(who) if isinstance(who, int) else self.find(who)

    def get(self, subscriber_id: int) -> Subscriber | None:
        row = self.store.db.execute(
            _COLUMNS + " WHERE id = ?",
            (subscriber_id,),
        ).fetchone()
        return None if row is None else _subscriber(row)

    def suppress(self, email: str, reason: str) -> None:
        """Never mail this address again (a permanent refusal from its server)."""
        with self.store.transaction() as db:
            suppress_in(db, email, reason, stored_time())

    def subscriptions(self) -> Iterator[Subscription]:
        """Each active subscriber whose address is not suppressed, by id, read a page
        at a time (never all at once)."""
        after = 0
        while True:
            rows = self.store.db.execute(
                "SELECT b.id, b.sections, b.language FROM subscriber b"
                " WHERE b.status = 'active'"
                " AND b.id > ? AND NOT EXISTS (SELECT 1 FROM suppression p"
                " WHERE p.email = b.email) ORDER BY b.id LIMIT ?",
                (after, PAGE),
            ).fetchall()
            yield from ((int(sid), str(sections), str(lang)) for sid, sections, lang in rows)
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

    def suppressed_active(self) -> int:
        """Active subscribers whose address is suppressed (no edition goes to them)."""
        return int(
            self.store.db.execute(
                "SELECT COUNT(*) FROM subscriber b JOIN suppression p ON p.email = b.email"
                " WHERE b.status = 'active'"
            ).fetchone()[0]
        )

    def is_suppressed(self, email: str) -> bool:
        row = self.store.db.execute("SELECT 1 FROM suppression WHERE email = ?", (email,))
        return row.fetchone() is not None

    def suppressed(self) -> set[str]:
        return {row[0] for row in self.store.db.execute("SELECT email FROM suppression")}


_COLUMNS = (
    "SELECT id, email, name, sections, status, created_at, updated_at, language FROM subscriber"
)


def _subscriber(row: tuple[int, str, str, str, str, str, str, str]) -> Subscriber:
    return Subscriber(
        id=row[0],
        email=row[1],
        name=row[2],
        sections=tuple(json.loads(row[3])),
        status=cast(Status, row[4]),
        created_at=datetime.fromisoformat(row[5]),
        updated_at=datetime.fromisoformat(row[6]),
        language=row[7],
    )


def suppress_in(db: Sql, email: str, reason: str, stamp: str) -> None:
    """Inside a transaction: never mail `email` again, for `reason` (the latest kept)."""
    db.execute(
        "INSERT INTO suppression (email, reason, added_at) VALUES (?, ?, ?)"
        " ON CONFLICT (email) DO UPDATE SET reason = excluded.reason",
        (email, reason, stamp),
    )
