"""Subscribers: who gets the digest, of which sections, and who must never get it again.

Addresses come in checked and normalised (mail/subscribers.py), so that one person is
one row however they typed it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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

    def as_json(self) -> dict[str, object]:
        return {
            "email": self.email,
            "name": self.name,
            "sections": list(self.sections),
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class SubscriberRow:
    """One subscriber as a CSV row or a command gives it, checked."""

    email: str
    name: str | None = ""  # None: keep what is stored (a command that did not say)
    sections: tuple[str, ...] | None = ()
    status: Status = "active"
    line: int | None = None


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
        added = updated = unchanged = kept = 0
        with self.store.transaction() as db:
            for row in rows:
                known = db.execute(
                    "SELECT name, sections, status FROM subscriber WHERE email = ?", (row.email,)
                ).fetchone()
                name = row.name if row.name is not None else (known[0] if known else "")
                sections = (
                    json.dumps(list(row.sections))
                    if row.sections is not None
                    else (known[1] if known else "[]")
                )
                if known is None:
                    db.execute(
                        "INSERT INTO subscriber (email, name, sections, status, created_at,"
                        " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                        (row.email, name, sections, row.status, stamp, stamp),
                    )
                    added += 1
                    continue
                status = row.status
                if (
                    known[2] in ("unsubscribed", "bounced")
                    and status == "active"
                    and not resubscribe
                ):
                    status = known[2]
                    kept += 1
                if (known[0], known[1], known[2]) == (name, sections, status):
                    unchanged += 1
                    continue
                db.execute(
                    "UPDATE subscriber SET name = ?, sections = ?, status = ?, updated_at = ?"
                    " WHERE email = ?",
                    (name, sections, status, stamp, row.email),
                )
                updated += 1
        return ImportResult(added, updated, unchanged, kept)

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
        rows = self.store.db.execute(
            "SELECT id, email, name, sections, status, created_at, updated_at FROM subscriber"
            " ORDER BY email"
        )
        return [_subscriber(row) for row in rows]

    def find(self, email: str) -> Subscriber | None:
        """The subscriber with this address (as stored), if any."""
        row = self.store.db.execute(
            "SELECT id, email, name, sections, status, created_at, updated_at FROM subscriber"
            " WHERE email = ?",
            (email,),
        ).fetchone()
        return None if row is None else _subscriber(row)

    def named_by(self, who: int | str) -> Subscriber | None:
        """The subscriber a token names: by id, or (a token from before ids) by address."""
        return self.get(who) if isinstance(who, int) else self.find(who)

    def get(self, subscriber_id: int) -> Subscriber | None:
        row = self.store.db.execute(
            "SELECT id, email, name, sections, status, created_at, updated_at FROM subscriber"
            " WHERE id = ?",
            (subscriber_id,),
        ).fetchone()
        return None if row is None else _subscriber(row)

    def suppress(self, email: str, reason: str) -> None:
        """Never mail this address again (a permanent refusal from its server)."""
        with self.store.transaction() as db:
            suppress_in(db, email, reason, stored_time())

    def is_suppressed(self, email: str) -> bool:
        row = self.store.db.execute("SELECT 1 FROM suppression WHERE email = ?", (email,))
        return row.fetchone() is not None

    def suppressed(self) -> set[str]:
        return {row[0] for row in self.store.db.execute("SELECT email FROM suppression")}


def _subscriber(row: tuple[int, str, str, str, str, str, str]) -> Subscriber:
    return Subscriber(
        id=row[0],
        email=row[1],
        name=row[2],
        sections=tuple(json.loads(row[3])),
        status=cast(Status, row[4]),
        created_at=datetime.fromisoformat(row[5]),
        updated_at=datetime.fromisoformat(row[6]),
    )


def suppress_in(db: Sql, email: str, reason: str, stamp: str) -> None:
    """Inside a transaction: never mail `email` again, for `reason` (the latest kept)."""
    db.execute(
        "INSERT INTO suppression (email, reason, added_at) VALUES (?, ?, ?)"
        " ON CONFLICT (email) DO UPDATE SET reason = excluded.reason",
        (email, reason, stamp),
    )
