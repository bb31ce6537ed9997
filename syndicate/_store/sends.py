"""The send ledger: one row per (edition, subscriber), queued -> sending -> sent or failed
(or skipped: they left after the edition was queued; deferred sends stay queued).

A send is marked `sending`, in a committed transaction, before it is handed over, and
`sent` only once it is delivered: a run that is killed finds each message either not
yet handed over (queued), handed over without a recorded answer (sending: resent by
the next run, so the one kind that may arrive twice), or done. How many can be left
`sending` is the walk's to bound (mail/smtp_run.py, mail/outbox_run.py): one per SMTP
connection; for the outbox a batch, whose files are their own proof of delivery and
are never written twice.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from syndicate._store.schema import stored_time
from syndicate._store.subscribers import suppress_in

if TYPE_CHECKING:
    from syndicate._store.database import Database


@dataclass(frozen=True, slots=True)
class SendJob:
    edition_id: str
    subscriber_id: int
    variant: str
    email: str
    name: str
    attempts: int
    in_doubt: bool  # handed to the server by a run that did not hear back


def queue_sends(
    db: sqlite3.Connection,
    edition_id: str,
    variants: Mapping[str, str],
    sends: Sequence[tuple[int, str]],
) -> None:
    """Inside the transaction that records the edition: its variants and its sends."""
    db.executemany(
        "INSERT INTO edition_variant (edition_id, variant, rendered) VALUES (?, ?, ?)",
        [(edition_id, key, rendered) for key, rendered in variants.items()],
    )
    stamp = stored_time()
    db.executemany(
        "INSERT INTO send (edition_id, subscriber_id, variant, status, updated_at)"
        " VALUES (?, ?, ?, 'queued', ?)",
        [(edition_id, subscriber, key, stamp) for subscriber, key in sends],
    )


PAGE = 500  # sends read from the ledger at a time: memory stays flat however many


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one send ended, to be written with the next claim (see `Ledger.record`)."""

    job: SendJob
    status: str  # sent, queued (to try again), failed
    detail: str = ""
    attempt: bool = True
    suppress: bool = False  # failed for good: the address is never mailed again


class Ledger:
    def __init__(self, store: Database) -> None:
        self.store = store

    def pending_count(self) -> int:
        """Messages still to send, of every edition: a progress bar's total."""
        row = self.store.db.execute(
            "SELECT COUNT(*) FROM send WHERE status IN ('queued', 'sending')"
        ).fetchone()
        return int(row[0])

    def open_editions(self) -> list[str]:
        """Editions with messages still to send, oldest first."""
        rows = self.store.db.execute(
            "SELECT DISTINCT s.edition_id FROM send s JOIN edition e USING (edition_id)"
            " WHERE s.status IN ('queued', 'sending') ORDER BY e.created_at, s.edition_id"
        )
        return [row[0] for row in rows]

    def open_count(self, edition_id: str) -> Counter[str]:
        """The edition's sends still to go: how many are queued, and how many `sending`."""
        rows = self.store.db.execute(
            "SELECT status, COUNT(*) FROM send"
            " WHERE edition_id = ? AND status IN ('queued', 'sending') GROUP BY status",
            (edition_id,),
        )
        return Counter({status: count for status, count in rows})

    def jobs(self, edition_id: str) -> Iterator[SendJob]:
        """The edition's sends still to go, in subscriber order, read a page at a time
        (never all at once). A send written back `queued` after this has read past it
        (a temporary failure) waits for the next run."""
        after = -1
        while True:
            rows = self.store.db.execute(
                "SELECT s.subscriber_id, s.variant, b.email, b.name, s.attempts, s.status"
                " FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
                " WHERE s.edition_id = ? AND s.subscriber_id > ?"
                " AND s.status IN ('queued', 'sending') ORDER BY s.subscriber_id LIMIT ?",
                (edition_id, after, PAGE),
            ).fetchall()
            for sid, variant, email, name, attempts, status in rows:
                yield SendJob(edition_id, sid, variant, email, name, attempts, status == "sending")
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

    def variant(self, edition_id: str, key: str) -> str:
        """A variant's rendered text, as the edition was queued with it."""
        row = self.store.db.execute(
            "SELECT rendered FROM edition_variant WHERE edition_id = ? AND variant = ?",
            (edition_id, key),
        ).fetchone()
        return str(row[0])

    def record(
        self, outcomes: Sequence[Outcome] = (), claim: Sequence[SendJob] = ()
    ) -> tuple[list[SendJob], list[tuple[SendJob, str]]]:
        """One transaction: the `outcomes` of sends done, then the `claim` of the next
        ones. Of those, each still wanted is marked `sending` (it must be, before it is
        handed over: a run killed after that knows the message may have gone), and each
        whose subscriber left or whose address was suppressed since the edition was
        queued is marked `skipped`: checked in the transaction that marks them, so
        that nobody who left before the claim is mailed. Returns (the claimed, the
        skipped with why)."""
        with self.store.transaction() as db:
            stamp = stored_time()
            for outcome in outcomes:
                self._write(db, outcome, stamp)
            if not claim:
                return [], []
            why = _unwanted(db, [job.subscriber_id for job in claim])
            claimed = [job for job in claim if job.subscriber_id not in why]
            skipped = [(job, why[job.subscriber_id]) for job in claim if job.subscriber_id in why]
            db.executemany(
                "UPDATE send SET status = ?, detail = ?, updated_at = ?"
                " WHERE edition_id = ? AND subscriber_id = ?",
                [("sending", "", stamp, job.edition_id, job.subscriber_id) for job in claimed]
                + [
                    ("skipped", reason, stamp, j.edition_id, j.subscriber_id)
                    for j, reason in skipped
                ],
            )
        return claimed, skipped

    @staticmethod
    def _write(db: sqlite3.Connection, outcome: Outcome, stamp: str) -> None:
        job, detail = outcome.job, outcome.detail[:500]
        db.execute(
            "UPDATE send SET status = ?, detail = ?, updated_at = ?,"
            " attempts = attempts + ? WHERE edition_id = ? AND subscriber_id = ?",
            (
                outcome.status,
                detail,
                stamp,
                int(outcome.attempt),
                job.edition_id,
                job.subscriber_id,
            ),
        )
        if outcome.suppress:  # a permanent refusal of the address: never mailed again
            suppress_in(db, job.email, detail, stamp)
            db.execute(
                "UPDATE subscriber SET status = 'bounced', updated_at = ? WHERE id = ?",
                (stamp, job.subscriber_id),
            )

    def counts(self, edition_id: str) -> Counter[str]:
        rows = self.store.db.execute(
            "SELECT status, COUNT(*) FROM send WHERE edition_id = ? GROUP BY status",
            (edition_id,),
        )
        return Counter({status: count for status, count in rows})


def _unwanted(db: sqlite3.Connection, subscribers: list[int]) -> dict[int, str]:
    """Why each of these must not be mailed now; those absent are still wanted."""
    marks = ",".join("?" * len(subscribers))
    rows = db.execute(
        "SELECT b.id, b.status, EXISTS (SELECT 1 FROM suppression p WHERE p.email = b.email)"
        f" FROM subscriber b WHERE b.id IN ({marks})",
        subscribers,
    ).fetchall()
    found = {sid: ("suppressed" if suppressed else str(status)) for sid, status, suppressed in rows}
    why = {sid: reason for sid, reason in found.items() if reason != "active"}
    why.update((sid, "removed") for sid in subscribers if sid not in found)
    return why
