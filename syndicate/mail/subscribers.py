"""Subscribers: who gets the digest, of which sections, and who must never get it again.

Addresses are checked with email-validator on the way in and stored normalised (the
domain lower-cased and in its ASCII form), so that one person is one row however
they typed it.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, cast

from email_validator import EmailNotValidError, validate_email

from syndicate._store.store import StateStore
from syndicate._util.text import one_line
from syndicate.errors import Problem, SubscriberFileError

Status = Literal["active", "pending", "unsubscribed", "bounced"]
STATUSES: tuple[Status, ...] = ("active", "pending", "unsubscribed", "bounced")
CSV_COLUMNS = ("email", "name", "sections", "status")
MAX_NAME = 100  # a name is for a greeting: a longer one is a mistake or an attack


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


class RowError(ValueError):
    """A subscriber value that cannot be taken, and which field it was."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def normalise_email(value: str) -> str:
    """The address as stored, or ValueError saying what is wrong with it."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    if checked.ascii_email is None:
        # A non-ASCII local part needs SMTPUTF8 from every server on the way.
        raise ValueError("an address with non-ASCII characters before the @ is not supported")
    # Local parts may be case-sensitive by the letter of RFC 5321, never in practice:
    # one person is one row however they typed it.
    return checked.ascii_email.lower()


def check_row(
    email: str, name: str = "", sections: str | Sequence[str] = "", status: str = "active"
) -> SubscriberRow:
    """A row's values checked and cleaned; RowError names what is wrong, and where."""
    try:
        address = normalise_email(email)
    except ValueError as exc:
        raise RowError("email", f"{email.strip()!r}: {exc}") from None
    cleaned = one_line(name)
    if len(cleaned) > MAX_NAME:
        raise RowError("name", f"longer than {MAX_NAME} characters")
    chosen = sections.split(";") if isinstance(sections, str) else list(sections)
    picked = tuple(dict.fromkeys(one_line(s) for s in chosen if one_line(s)))
    state = (status or "active").strip().lower()
    if state not in STATUSES:
        raise RowError("status", f"{status!r} is not one of {', '.join(STATUSES)}")
    return SubscriberRow(address, cleaned, picked, state)


def read_subscriber_csv(path: Path) -> tuple[list[SubscriberRow], list[Problem]]:
    """The good rows of a subscribers CSV and a problem for each bad one; a file that
    is no subscriber list at all (not UTF-8, no email column) is SubscriberFileError."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubscriberFileError(f"not UTF-8 ({exc.reason})", file=path) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fields = [f.strip().lower() for f in reader.fieldnames or []]
    except csv.Error as exc:
        raise SubscriberFileError(f"not a CSV file ({exc})", file=path, line=1) from None
    if "email" not in fields:
        raise SubscriberFileError(
            "no 'email' column (columns: email, name, sections, status)", file=path, line=1
        )
    reader.fieldnames = fields
    rows: list[SubscriberRow] = []
    problems: list[Problem] = []
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # An unclosed quote swallows the rest of the file: say where it started.
            problems.append(
                Problem(f"the rest of the file is unreadable: {exc}", str(path), start, "row")
            )
            break
        try:
            if None in record:
                raise RowError("row", "more cells than columns (a comma in a name needs quotes)")
            row = check_row(
                record.get("email") or "",
                record.get("name") or "",
                record.get("sections") or "",
                record.get("status") or "active",
            )
        except RowError as exc:
            problems.append(Problem(str(exc), str(path), start, exc.field))
            continue
        rows.append(SubscriberRow(row.email, row.name, row.sections, row.status, start))
    return rows, problems


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    kept_unsubscribed: int  # rows that would have resubscribed someone who left


class SubscriberBook:
    """The subscribers and the suppression list in a site's state store."""

    def __init__(self, store: StateStore) -> None:
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
        stamp = _stamp(now)
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
                (status, _stamp(now), normalise_email(email)),
            )
            return cursor.rowcount > 0

    def remove(self, email: str) -> bool:
        """Forget a subscriber entirely (their sends too): what a deletion request asks."""
        address = normalise_email(email)
        with self.store.transaction() as db:
            row = db.execute("SELECT id FROM subscriber WHERE email = ?", (address,)).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM send WHERE subscriber_id = ?", (row[0],))
            db.execute("DELETE FROM subscriber WHERE id = ?", (row[0],))
            return True

    def all(self) -> list[Subscriber]:
        rows = self.store.db.execute(
            "SELECT id, email, name, sections, status, created_at, updated_at FROM subscriber"
            " ORDER BY email"
        )
        return [_subscriber(row) for row in rows]

    def get(self, subscriber_id: int) -> Subscriber | None:
        row = self.store.db.execute(
            "SELECT id, email, name, sections, status, created_at, updated_at FROM subscriber"
            " WHERE id = ?",
            (subscriber_id,),
        ).fetchone()
        return None if row is None else _subscriber(row)

    def suppress(self, email: str, reason: str, db: sqlite3.Connection | None = None) -> None:
        """Never mail this address again (a permanent refusal from its server)."""
        statement = (
            "INSERT INTO suppression (email, reason, added_at) VALUES (?, ?, ?)"
            " ON CONFLICT (email) DO UPDATE SET reason = excluded.reason"
        )
        if db is not None:
            db.execute(statement, (email, reason, _stamp(None)))
            return
        with self.store.transaction() as own:
            own.execute(statement, (email, reason, _stamp(None)))

    def suppressed(self) -> set[str]:
        return {row[0] for row in self.store.db.execute("SELECT email FROM suppression")}


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


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
