"""The send ledger: one row per (edition, subscriber), queued -> sending -> sent or failed
(or skipped: they left after the edition was queued; deferred sends stay queued).

A send is marked `sending`, in a committed transaction, before it is handed over, and
`sent` only once it is delivered: a run that is killed finds each message either not
yet handed over (queued), handed over without a recorded answer (sending: resent by
the next run, so the one kind that may arrive twice), or done. How many can be left
`sending` is the walk's to bound (mail/smtp_run.py, mail/outbox_run.py): one per SMTP
connection; for the outbox a batch, whose files are their own proof of delivery and
are never written twice.

Several dispatch workers (on one machine, or many sharing a PostgreSQL store) share an
edition by leases: a worker claims a batch of sends under its lease, renews it while
it works, and lets go of what it leaves. Sends under an expired lease are any worker's
to take over; those the dead worker left `sending` are the ones that may go twice.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from syndicate._store.dialect import Sql
from syndicate._store.rates import SendPace
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
    db: Sql,
    edition_id: str,
    variants: Mapping[str, str],
    sends: Iterable[tuple[int, str]],
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
        ((edition_id, subscriber, key, stamp) for subscriber, key in sends),
    )


BATCH = 50  # sends a worker claims at a time: small, so that workers end together


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one send ended, to be written with the next claim (see `Ledger.record`)."""

    job: SendJob
    status: str  # sent, queued (to try again), failed
    detail: str = ""
    attempt: bool = True
    suppress: bool = False  # failed for good: the address is never mailed again


@dataclass(frozen=True, slots=True)
class Lease:
    """A dispatch worker's hold on the sends it claimed. `owner` is stable for a copy
    of the site on a host, so that a worker restarted after a kill takes its own
    sends back at once; `run` is this run of it; `seconds` how long a hold lasts
    unless renewed (after that, any worker may take the sends over)."""

    owner: str
    run: str = field(default_factory=lambda: uuid.uuid4().hex)
    seconds: int = 60

    def until(self, now: datetime) -> str:
        """When a hold taken or renewed at `now` (the store's clock) runs out."""
        return stored_time(now + timedelta(seconds=self.seconds))

    def safe_until(self, now: datetime) -> str:
        """A hold that runs out before this is too close to its end to hand a message
        over under it: renewing may not come in time, and another worker may be
        about to take the send over."""
        return stored_time(now + timedelta(seconds=min(5.0, self.seconds / 4)))


@dataclass(frozen=True, slots=True)
class Claimed:
    """What became of a claim: sends now `sending` (hand them over), sends written
    `skipped` with why, and sends another worker holds now (leave them)."""

    sending: list[SendJob]
    skipped: list[tuple[SendJob, str]]
    lost: list[SendJob]


class Ledger:
    """The send ledger of a store. Every method carries on through a PostgreSQL server
    that goes away for a while (Database.retrying): each is safe to run twice."""

    def __init__(self, store: Database) -> None:
        self.store = store

    @property
    def pace(self) -> SendPace:
        """The site's send pace: dispatch.rate, for every worker together."""
        return SendPace(self.store)

    def pending_count(self) -> int:
        """Messages still to send, of every edition: a progress bar's total."""
        return self.store.retrying(
            lambda: int(
                self.store.db.execute(
                    "SELECT COUNT(*) FROM send WHERE status IN ('queued', 'sending')"
                ).fetchone()[0]
            )
        )

    def open_editions(self) -> list[str]:
        """Editions with messages still to send, oldest first."""
        sql = (
            "SELECT DISTINCT s.edition_id, e.created_at FROM send s JOIN edition e"
            " USING (edition_id) WHERE s.status IN ('queued', 'sending')"
            " ORDER BY e.created_at, s.edition_id"
        )
        return self.store.retrying(lambda: [row[0] for row in self.store.db.execute(sql)])

    def open_count(self, edition_id: str) -> Counter[str]:
        """The edition's sends still to go: how many are queued, and how many `sending`."""
        sql = (
            "SELECT status, COUNT(*) FROM send"
            " WHERE edition_id = ? AND status IN ('queued', 'sending') GROUP BY status"
        )
        return self.store.retrying(
            lambda: Counter(dict(self.store.db.execute(sql, (edition_id,)).fetchall()))
        )

    def left_open(self, edition_id: str) -> tuple[int, int]:
        """The edition's sends still to go: (those nobody is working on: deferred, or
        left by a worker that stopped, for the next run; those other live workers hold)."""
        sql = (
            "SELECT COUNT(*) FILTER (WHERE lease_until IS NULL OR lease_until < ?),"
            " COUNT(*) FILTER (WHERE lease_until >= ?) FROM send"
            " WHERE edition_id = ? AND status IN ('queued', 'sending')"
        )

        def count() -> tuple[int, int]:
            now = stored_time(self.store.db.clock())
            left, held = self.store.db.execute(sql, (now, now, edition_id)).fetchone()
            return int(left), int(held)

        return self.store.retrying(count)

    def claim_batch(self, edition_id: str, lease: Lease, limit: int = 0) -> list[SendJob]:
        """The next sends of the edition for this worker, in subscriber order, held
        under `lease`: sends nobody holds, sends whose hold expired (a worker killed or
        cut off: those it left `sending` are in doubt, and go again), and this worker's
        own from an earlier run. Sends another live worker holds are skipped over, not
        waited for (PostgreSQL: SKIP LOCKED). Empty: nothing is left to claim."""
        return self.store.retrying(lambda: self._claim_batch(edition_id, lease, limit or BATCH))

    def _claim_batch(self, edition_id: str, lease: Lease, limit: int) -> list[SendJob]:
        with self.store.transaction(rows_only=True) as db:
            clock = db.clock()
            now = stored_time(clock)
            free = [
                row[0]
                for row in db.execute(
                    "SELECT subscriber_id FROM send WHERE edition_id = ?"
                    " AND status IN ('queued', 'sending') AND (lease_until IS NULL"
                    " OR lease_until < ? OR (lease_owner = ? AND lease_run <> ?))"
                    f" ORDER BY subscriber_id LIMIT ?{db.skip_locked}",
                    (edition_id, now, lease.owner, lease.run, limit),
                ).fetchall()
            ]
            if not free:
                return []
            marks = ",".join("?" * len(free))
            db.execute(
                "UPDATE send SET lease_owner = ?, lease_run = ?, lease_until = ?"
                f" WHERE edition_id = ? AND subscriber_id IN ({marks})",
                (lease.owner, lease.run, lease.until(clock), edition_id, *free),
            )
            rows = db.execute(
                "SELECT s.subscriber_id, s.variant, b.email, b.name, s.attempts, s.status"
                " FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
                f" WHERE s.edition_id = ? AND s.subscriber_id IN ({marks})"
                " ORDER BY s.subscriber_id",
                (edition_id, *free),
            ).fetchall()
        return [
            SendJob(edition_id, sid, variant, email, name, attempts, status == "sending")
            for sid, variant, email, name, attempts, status in rows
        ]

    def renew(self, lease: Lease) -> int:
        """Hold this run's unfinished sends for another `lease.seconds`; how many."""

        def renew() -> int:
            with self.store.transaction(rows_only=True) as db:
                return db.execute(
                    "UPDATE send SET lease_until = ? WHERE lease_run = ?"
                    " AND status IN ('queued', 'sending')",
                    (lease.until(db.clock()), lease.run),
                ).rowcount

        return self.store.retrying(renew)

    def release(self, lease: Lease) -> None:
        """Let go of this run's unfinished sends (deferred ones): any worker, or the
        next run, may take them."""

        def release() -> None:
            with self.store.transaction(rows_only=True) as db:
                db.execute(
                    "UPDATE send SET lease_owner = NULL, lease_run = NULL, lease_until = NULL"
                    " WHERE lease_run = ? AND status IN ('queued', 'sending')",
                    (lease.run,),
                )

        self.store.retrying(release)

    def variant(self, edition_id: str, key: str) -> str:
        """A variant's rendered text, as the edition was queued with it."""
        sql = "SELECT rendered FROM edition_variant WHERE edition_id = ? AND variant = ?"
        return self.store.retrying(
            lambda: str(self.store.db.execute(sql, (edition_id, key)).fetchone()[0])
        )

    def record(
        self,
        outcomes: Sequence[Outcome] = (),
        claim: Sequence[SendJob] = (),
        lease: Lease | None = None,
    ) -> Claimed:
        """One transaction: the `outcomes` of sends done, then the `claim` of the next
        ones. Of those, each still wanted is marked `sending` (it must be, before it is
        handed over: a run killed after that knows the message may have gone), and each
        whose subscriber left or whose address was suppressed since the edition was
        queued is marked `skipped`: checked in the transaction that marks them, so
        that nobody who left before the claim is mailed. With a `lease`, a send that
        another worker has taken over since (this one's hold expired) is `lost`: left
        alone, never handed over by this one."""
        return self.store.retrying(lambda: self._record(outcomes, claim, lease))

    def _record(
        self, outcomes: Sequence[Outcome], claim: Sequence[SendJob], lease: Lease | None
    ) -> Claimed:
        with self.store.transaction(rows_only=True) as db:
            clock = db.clock()
            stamp = stored_time(clock)
            for outcome in outcomes:
                self._write(db, outcome, stamp, lease)
            if not claim:
                return Claimed([], [], [])
            lost = _lost(db, claim, lease, clock) if lease is not None else set()
            held = [job for job in claim if job.subscriber_id not in lost]
            why = _unwanted(db, [job.subscriber_id for job in held]) if held else {}
            claimed = [job for job in held if job.subscriber_id not in why]
            skipped = [(job, why[job.subscriber_id]) for job in held if job.subscriber_id in why]
            # A send handed over is held for a whole lease from now: nobody takes it
            # over while its answer may still come.
            until = lease.until(clock) if lease is not None else None
            db.executemany(
                "UPDATE send SET status = ?, detail = ?, updated_at = ?,"
                " lease_until = COALESCE(?, lease_until)"
                " WHERE edition_id = ? AND subscriber_id = ?",
                [
                    ("sending", "", stamp, until, job.edition_id, job.subscriber_id)
                    for job in claimed
                ]
                + [
                    ("skipped", reason, stamp, None, j.edition_id, j.subscriber_id)
                    for j, reason in skipped
                ],
            )
        return Claimed(claimed, skipped, [job for job in claim if job.subscriber_id in lost])

    @staticmethod
    def _write(db: Sql, outcome: Outcome, stamp: str, lease: Lease | None) -> None:
        """One outcome. Under a `lease`, only while the send is still this run's: a
        worker that lost it (its hold expired and another took it over) must not
        write over what the new holder recorded."""
        job, detail = outcome.job, outcome.detail[:500]
        held = " AND lease_run = ?" if lease is not None else ""
        db.execute(
            "UPDATE send SET status = ?, detail = ?, updated_at = ?,"
            f" attempts = attempts + ? WHERE edition_id = ? AND subscriber_id = ?{held}",
            (
                outcome.status,
                detail,
                stamp,
                int(outcome.attempt),
                job.edition_id,
                job.subscriber_id,
                *((lease.run,) if lease is not None else ()),
            ),
        )
        if outcome.suppress:  # a permanent refusal of the address: never mailed again
            suppress_in(db, job.email, detail, stamp)
            db.execute(
                "UPDATE subscriber SET status = 'bounced', updated_at = ? WHERE id = ?",
                (stamp, job.subscriber_id),
            )

    def counts(self, edition_id: str) -> Counter[str]:
        sql = "SELECT status, COUNT(*) FROM send WHERE edition_id = ? GROUP BY status"
        return self.store.retrying(
            lambda: Counter(dict(self.store.db.execute(sql, (edition_id,)).fetchall()))
        )


def _lost(db: Sql, claim: Sequence[SendJob], lease: Lease, clock: datetime) -> set[int]:
    """Of the claimed sends, those no longer safely held under `lease`: taken over by
    another worker, or with a hold about to run out (a worker cut off from the store,
    or stalled, for longer than its lease). The rest are locked meanwhile, so that no
    other worker takes them over between this check and the claim."""
    lost: set[int] = set()
    for edition in {job.edition_id for job in claim}:  # one, from a walk
        ids = [job.subscriber_id for job in claim if job.edition_id == edition]
        marks = ",".join("?" * len(ids))
        held = {
            row[0]
            for row in db.execute(
                "SELECT subscriber_id FROM send WHERE edition_id = ?"
                f" AND subscriber_id IN ({marks}) AND lease_run = ? AND lease_until > ?"
                f"{db.for_update}",
                (edition, *ids, lease.run, lease.safe_until(clock)),
            )
        }
        lost.update(sid for sid in ids if sid not in held)
    return lost


def _unwanted(db: Sql, subscribers: list[int]) -> dict[int, str]:
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
