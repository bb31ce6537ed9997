"""The send ledger: one row per (edition, subscriber), queued -> sending -> sent or failed.

Every change is its own transaction, written before the next step: a run that is
killed finds each message either not yet handed over (queued), handed over without
an answer (sending: the one message per connection that may arrive twice), or done.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from syndicate.digests.messages import EditionHeaders
from syndicate.digests.render import RenderedVariant
from syndicate.state import StateStore

ALL_SECTIONS = "*"


@dataclass(frozen=True, slots=True)
class SendJob:
    edition_id: str
    subscriber_id: int
    variant: str
    email: str
    name: str
    attempts: int
    in_doubt: bool  # handed to the server by a run that did not hear back


def variant_key(sections: frozenset[str] | None) -> str:
    return ALL_SECTIONS if sections is None else json.dumps(sorted(sections))


def variant_sections(key: str) -> frozenset[str] | None:
    return None if key == ALL_SECTIONS else frozenset(json.loads(key))


def dump_variant(variant: RenderedVariant, headers: EditionHeaders) -> str:
    rendered = asdict(variant)
    rendered["sections"] = None if variant.sections is None else sorted(variant.sections)
    head = asdict(headers)
    head["date"] = headers.date.isoformat()
    return json.dumps({"variant": rendered, "headers": head})


def load_variant(text: str) -> tuple[RenderedVariant, EditionHeaders]:
    stored = json.loads(text)
    rendered = stored["variant"]
    sections = rendered.pop("sections")
    variant = RenderedVariant(
        sections=None if sections is None else frozenset(sections), **rendered
    )
    head = stored["headers"]
    head["date"] = datetime.fromisoformat(head["date"])
    return variant, EditionHeaders(**head)


def queue_sends(
    db: sqlite3.Connection,
    edition_id: str,
    variants: dict[str, str],
    sends: Sequence[tuple[int, str]],
) -> None:
    """Inside the transaction that records the edition: its variants and its sends."""
    db.executemany(
        "INSERT INTO edition_variant (edition_id, variant, rendered) VALUES (?, ?, ?)",
        [(edition_id, key, rendered) for key, rendered in variants.items()],
    )
    stamp = _now()
    db.executemany(
        "INSERT INTO send (edition_id, subscriber_id, variant, status, updated_at)"
        " VALUES (?, ?, ?, 'queued', ?)",
        [(edition_id, subscriber, key, stamp) for subscriber, key in sends],
    )


class Ledger:
    def __init__(self, store: StateStore) -> None:
        self.store = store

    def open_editions(self) -> list[str]:
        """Editions with messages still to send, oldest first."""
        rows = self.store.db.execute(
            "SELECT DISTINCT s.edition_id FROM send s JOIN edition e USING (edition_id)"
            " WHERE s.status IN ('queued', 'sending') ORDER BY e.created_at, s.edition_id"
        )
        return [row[0] for row in rows]

    def jobs(self, edition_id: str) -> list[SendJob]:
        rows = self.store.db.execute(
            "SELECT s.subscriber_id, s.variant, b.email, b.name, s.attempts, s.status"
            " FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
            " WHERE s.edition_id = ? AND s.status IN ('queued', 'sending')"
            " ORDER BY s.subscriber_id",
            (edition_id,),
        )
        return [
            SendJob(edition_id, sid, variant, email, name, attempts, status == "sending")
            for sid, variant, email, name, attempts, status in rows
        ]

    def variant(self, edition_id: str, key: str) -> tuple[RenderedVariant, EditionHeaders]:
        row = self.store.db.execute(
            "SELECT rendered FROM edition_variant WHERE edition_id = ? AND variant = ?",
            (edition_id, key),
        ).fetchone()
        return load_variant(row[0])

    def still_wanted(self, job: SendJob) -> str | None:
        """Why this message must not go out now (they left, or their address bounced)."""
        row = self.store.db.execute(
            "SELECT b.status, (SELECT 1 FROM suppression p WHERE p.email = b.email)"
            " FROM subscriber b WHERE b.id = ?",
            (job.subscriber_id,),
        ).fetchone()
        if row is None:
            return "removed"
        if row[1]:
            return "suppressed"
        return None if row[0] == "active" else str(row[0])

    def mark(self, job: SendJob, status: str, detail: str = "", *, attempt: bool = False) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE send SET status = ?, detail = ?, updated_at = ?,"
                " attempts = attempts + ? WHERE edition_id = ? AND subscriber_id = ?",
                (status, detail[:500], _now(), int(attempt), job.edition_id, job.subscriber_id),
            )

    def fail(self, job: SendJob, detail: str, *, suppress: bool) -> None:
        """A permanent refusal: the row is failed and the address never mailed again."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE send SET status = 'failed', detail = ?, updated_at = ?,"
                " attempts = attempts + 1 WHERE edition_id = ? AND subscriber_id = ?",
                (detail[:500], _now(), job.edition_id, job.subscriber_id),
            )
            if suppress:
                db.execute(
                    "INSERT INTO suppression (email, reason, added_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (email) DO UPDATE SET reason = excluded.reason",
                    (job.email, detail[:500], _now()),
                )
                db.execute(
                    "UPDATE subscriber SET status = 'bounced', updated_at = ? WHERE id = ?",
                    (_now(), job.subscriber_id),
                )

    def counts(self, edition_id: str) -> Counter[str]:
        rows = self.store.db.execute(
            "SELECT status, COUNT(*) FROM send WHERE edition_id = ? GROUP BY status",
            (edition_id,),
        )
        return Counter({status: count for status, count in rows})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
