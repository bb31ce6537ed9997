"""The ledger walk: every queued message of every unfinished edition, sent once.

The sends are read from the ledger a page at a time, never all at once, and shared by
the workers. A send is claimed (marked `sending`, if its subscriber still wants it:
else `skipped`) in a committed transaction before it is handed over, then written
`sent`, `queued` again (a temporary failure, retried with backoff) or `failed` (a
permanent one: the address is suppressed). Messages are filled from each variant's
bytes, prepared once.

SMTP: one worker per connection, a message at a time; the transaction that claims a
connection's next message also writes its last one `sent`, so a connection never has
more than one message in doubt. The outbox: a batch at a time; its files prove their
own delivery, so a batch takes two transactions, and its files are written while the
batch before is being synced to disk.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

from syndicate.digests.headers import Recipient
from syndicate.digests.messages import MessageTemplate
from syndicate.mail.backends import (
    Backend,
    BackendUnavailable,
    BatchBackend,
    Connection,
    PermanentFailure,
    Staged,
    TemporaryFailure,
)
from syndicate.mail.ledger import GroupCommit, Ledger, Outcome, SendJob

Signer = Callable[[bytes], bytes]


class SendProgress(Protocol):
    """What a progress bar hears: how many sends there are, then each one done."""

    def start(self, total: int) -> None: ...

    def advance(self, outcome: str) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # per message in one run; then it waits for the next run
    base: float = 0.5  # seconds before the first retry, doubled each time
    cap: float = 30.0


@dataclass
class EditionTally:
    edition: str
    recipients: int = 0
    sent: int = 0
    failed: int = 0  # refused for good: the address is suppressed
    deferred: int = 0  # temporary failures left for the next run
    skipped: int = 0  # unsubscribed or suppressed since the edition was queued
    in_doubt: int = 0  # handed over by a run that was killed before the answer
    failures: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped before the end (a login refused)

    def as_json(self) -> dict[str, object]:
        return {
            "edition": self.edition,
            "recipients": self.recipients,
            "sent": self.sent,
            "failed": self.failed,
            "deferred": self.deferred,
            "skipped": self.skipped,
            "resent_in_doubt": self.in_doubt,
            "stopped": self.stopped,
        }


class RateLimit:
    """At most `rate` messages a second across all connections (0: no limit)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate if rate > 0 else 0.0
        self.next_at = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            if self.next_at > now:
                await asyncio.sleep(self.next_at - now)
            self.next_at = max(now, self.next_at) + self.interval


@dataclass
class Dispatcher:
    ledger: Ledger
    backend: Backend | BatchBackend
    sender: str  # the envelope's MAIL FROM
    recipient_for: Callable[[SendJob], Recipient]
    sign: Signer | None = None
    rate: float = 0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    progress: SendProgress | None = None
    _templates: dict[tuple[str, str], MessageTemplate] = field(default_factory=dict)

    def run(self) -> list[EditionTally]:
        return asyncio.run(self.send_all())

    async def send_all(self) -> list[EditionTally]:
        editions = self.ledger.open_editions()
        if self.progress is not None:
            self.progress.start(sum(self.ledger.open_count(e).total() for e in editions))
        tallies = []
        for edition in editions:
            tallies.append(await self.send_edition(edition))
            if tallies[-1].stopped:
                break  # the server takes nothing from us: the later editions wait too
        return tallies

    async def send_edition(self, edition: str) -> EditionTally:
        waiting = self.ledger.open_count(edition)
        tally = EditionTally(edition, recipients=sum(self.ledger.counts(edition).values()))
        tally.in_doubt = waiting["sending"]
        jobs = self.ledger.jobs(edition)  # shared by the workers; each takes the next
        if isinstance(self.backend, BatchBackend):
            await self._batch_worker(self.backend, jobs, tally)
        else:
            limit, ledger = RateLimit(self.rate), GroupCommit(self.ledger)
            workers = min(self.backend.connections, waiting.total()) or 1
            await asyncio.gather(
                *(self._worker(jobs, tally, limit, ledger) for _ in range(workers))
            )
        counts = self.ledger.counts(edition)
        tally.sent, tally.failed = counts["sent"], counts["failed"]
        tally.skipped = counts["skipped"]
        tally.deferred = counts["queued"] + counts["sending"]
        return tally

    # -- one message at a time, one worker per connection (SMTP) ---------------------

    async def _worker(
        self,
        jobs: Iterator[SendJob],
        tally: EditionTally,
        limit: RateLimit,
        ledger: GroupCommit,
    ) -> None:
        connection: Connection | None = None
        # This connection's last message delivered, its `sent` not yet written: it is
        # written in the transaction that claims the next one, before that is handed
        # over, so a connection has one message in doubt at most, as with a transaction
        # of its own, and a message costs one transaction instead of two.
        done: list[Outcome] = []
        try:
            while tally.stopped is None:
                job = next(jobs, None)
                if job is None:
                    break
                try:
                    connection = await self._send(job, connection, tally, limit, ledger, done)
                except BackendUnavailable as exc:
                    done.append(Outcome(job, "queued", str(exc), attempt=False))
                    tally.stopped = str(exc)
                    connection = None
        finally:
            if done:
                await ledger.write(done)
            if connection is not None:
                await connection.close()

    async def _send(
        self,
        job: SendJob,
        connection: Connection | None,
        tally: EditionTally,
        limit: RateLimit,
        ledger: GroupCommit,
        done: list[Outcome],
    ) -> Connection | None:
        message = self._message(job)
        for attempt in range(self.retry.attempts):
            try:
                if connection is None or limit.interval:
                    # Opening a connection, or the rate limit, may take a while: the
                    # last message's `sent` is not kept waiting for it.
                    await self._flush(ledger, done)
                if connection is None:
                    connection = await self.backend.connect()
                await limit.wait()
                skipped = await ledger.write(done, claim=job)
                done.clear()
                if skipped is not None:
                    self._done(job, "skipped")
                    return connection
                reply = await connection.deliver(self.sender, job.email, message, _key(job))
            except TemporaryFailure as exc:
                await self._flush(ledger, done, Outcome(job, "queued", str(exc)))
                if exc.reconnect and connection is not None:
                    await _quietly_close(connection)
                    connection = None
                if attempt + 1 < self.retry.attempts:
                    await asyncio.sleep(self._backoff(attempt))
                    continue
                tally.failures.append(f"{job.email}: {exc} (left for the next run)")
                self._done(job, "deferred")
                return connection
            except BackendUnavailable:
                if connection is not None:
                    await _quietly_close(connection)
                raise
            except PermanentFailure as exc:
                failed = Outcome(job, "failed", str(exc), suppress=exc.suppress)
                await self._flush(ledger, done, failed)
                note = "suppressed" if exc.suppress else "refused, address kept"
                tally.failures.append(f"{job.email}: {exc} ({note})")
                self._done(job, "failed")
                return connection
            done.append(Outcome(job, "sent", reply))
            self._done(job, "sent")
            return connection
        return connection

    @staticmethod
    async def _flush(ledger: GroupCommit, done: list[Outcome], *more: Outcome) -> None:
        if done or more:
            await ledger.write([*done, *more])
            done.clear()

    # -- a batch at a time (the outbox) ----------------------------------------------

    async def _batch_worker(
        self, backend: BatchBackend, jobs: Iterator[SendJob], tally: EditionTally
    ) -> None:
        connection = await backend.connect()
        try:
            failed = await self._batches(backend, jobs)
            for attempt in range(1, self.retry.attempts):
                if not failed:
                    break
                await asyncio.sleep(self._backoff(attempt - 1))
                failed = await self._batches(backend, iter(list(failed)))
            for job, error in failed.items():
                tally.failures.append(f"{job.email}: {error} (left for the next run)")
                self._done(job, "deferred")
        except BackendUnavailable as exc:  # the batches in hand stay `sending`, in doubt
            tally.stopped = str(exc)
        finally:
            await connection.close()

    async def _batches(
        self, backend: BatchBackend, jobs: Iterator[SendJob]
    ) -> dict[SendJob, TemporaryFailure]:
        """Batch after batch: one transaction marks a batch `sending`, its messages are
        staged, then the batch before is published and one transaction records how
        each of its messages went. The messages are files, proof of their own
        delivery, that a resumed run finds and never writes again: a kill leaves up to
        two batches `sending`, and duplicates nothing. What failed, to try again."""
        failed: dict[SendJob, TemporaryFailure] = {}
        before: tuple[list[SendJob], Staged] | None = None
        try:
            while batch := list(islice(jobs, backend.batch)):
                claimed, skipped = self.ledger.record(claim=batch)
                for job, _ in skipped:
                    self._done(job, "skipped")
                messages = ((j.email, self._message(j), _key(j)) for j in claimed)
                previous, before = before, (claimed, await backend.stage(messages))
                if previous is not None:
                    await self._publish(backend, *previous, failed)
            if before is not None:
                last, before = before, None
                await self._publish(backend, *last, failed)
        except BaseException:
            if before is not None:  # left `sending`: the next run writes it
                backend.discard(before[1])
            raise
        return failed

    async def _publish(
        self,
        backend: BatchBackend,
        claimed: list[SendJob],
        staged: Staged,
        failed: dict[SendJob, TemporaryFailure],
    ) -> None:
        delivered = await backend.publish(staged)
        outcomes = []
        for job, result in zip(claimed, delivered, strict=True):
            if isinstance(result, TemporaryFailure):
                outcomes.append(Outcome(job, "queued", str(result)))
                failed[job] = result
            else:
                outcomes.append(Outcome(job, "sent", result))
        self.ledger.record(outcomes)
        for job, result in zip(claimed, delivered, strict=True):
            if isinstance(result, str):
                self._done(job, "sent")

    # -- shared --------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        delay: float = min(self.retry.cap, self.retry.base * float(2**attempt))
        return delay / 2 + random.uniform(0, delay / 2)  # jitter: retries do not march

    def _message(self, job: SendJob) -> bytes:
        key = (job.edition_id, job.variant)
        template = self._templates.get(key)
        if template is None:
            variant, headers = self.ledger.variant(*key)
            template = self._templates[key] = MessageTemplate.prepare(variant, headers)
        message = template.fill(self.recipient_for(job))
        return self.sign(message) if self.sign is not None else message

    def _done(self, job: SendJob, outcome: str) -> None:
        if self.progress is not None:
            self.progress.advance(outcome)


def _key(job: SendJob) -> str:
    """What names the message in the backend: the outbox's file is named after it."""
    return f"{job.edition_id}.{job.subscriber_id}"


async def _quietly_close(connection: Connection) -> None:
    try:
        await connection.close()
    except Exception:  # the connection is already broken; a new one is opened
        return
