"""The ledger walk: every queued message of every unfinished edition, sent once.

Workers, one per backend connection, take sends from a shared queue. Before each
message a worker checks that the subscriber still wants it; it marks the send
`sending`, hands the message over, then marks it `sent`, retries it with backoff
(a temporary failure), or marks it `failed` and suppresses the address (a
permanent one). Messages are filled from each variant's bytes, prepared once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from syndicate.digests.messages import MessageTemplate, Recipient
from syndicate.dispatch.backends import (
    Backend,
    BackendUnavailable,
    Connection,
    PermanentFailure,
    TemporaryFailure,
)
from syndicate.dispatch.ledger import Ledger, SendJob

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
    backend: Backend
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
            self.progress.start(sum(len(self.ledger.jobs(e)) for e in editions))
        tallies = []
        for edition in editions:
            tallies.append(await self.send_edition(edition))
            if tallies[-1].stopped:
                break  # the server takes nothing from us: the later editions wait too
        return tallies

    async def send_edition(self, edition: str) -> EditionTally:
        jobs = self.ledger.jobs(edition)
        tally = EditionTally(edition, recipients=sum(self.ledger.counts(edition).values()))
        tally.in_doubt = sum(job.in_doubt for job in jobs)
        queue: asyncio.Queue[SendJob] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        limit = RateLimit(self.rate)
        workers = min(self.backend.connections, len(jobs)) or 1
        await asyncio.gather(*(self._worker(queue, tally, limit) for _ in range(workers)))
        counts = self.ledger.counts(edition)
        tally.sent, tally.failed = counts["sent"], counts["failed"]
        tally.skipped = counts["skipped"]
        tally.deferred = counts["queued"] + counts["sending"]
        return tally

    async def _worker(
        self, queue: asyncio.Queue[SendJob], tally: EditionTally, limit: RateLimit
    ) -> None:
        connection: Connection | None = None
        try:
            while not queue.empty() and tally.stopped is None:
                job = queue.get_nowait()
                try:
                    connection = await self._send(job, connection, tally, limit)
                except BackendUnavailable as exc:
                    self.ledger.mark(job, "queued", str(exc))
                    tally.stopped = str(exc)
                    connection = None
        finally:
            if connection is not None:
                await connection.close()

    async def _send(
        self, job: SendJob, connection: Connection | None, tally: EditionTally, limit: RateLimit
    ) -> Connection | None:
        reason = self.ledger.still_wanted(job)
        if reason is not None:
            self.ledger.mark(job, "skipped", reason)
            self._done(job, "skipped")
            return connection
        message = self._message(job)
        for attempt in range(self.retry.attempts):
            try:
                if connection is None:
                    connection = await self.backend.connect()
                await limit.wait()
                self.ledger.mark(job, "sending")
                reply = await connection.deliver(
                    self.sender, job.email, message, f"{job.edition_id}.{job.subscriber_id}"
                )
            except TemporaryFailure as exc:
                self.ledger.mark(job, "queued", str(exc), attempt=True)
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
                self.ledger.fail(job, str(exc), suppress=exc.suppress)
                note = "suppressed" if exc.suppress else "refused, address kept"
                tally.failures.append(f"{job.email}: {exc} ({note})")
                self._done(job, "failed")
                return connection
            self.ledger.mark(job, "sent", reply, attempt=True)
            self._done(job, "sent")
            return connection
        return connection

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


async def _quietly_close(connection: Connection) -> None:
    try:
        await connection.close()
    except Exception:  # the connection is already broken; a new one is opened
        return
