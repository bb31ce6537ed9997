"""The ledger walk over SMTP: one worker per connection, a message at a time.

The transaction that claims a connection's next message also writes its last one
`sent`, so a connection never has more than one message in doubt; the transactions of
all connections are written together (GroupCommit).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator, Sequence

from syndicate._store.rates import SendPace
from syndicate._store.sends import Lease, Ledger, Outcome, SendJob
from syndicate.mail.backends import (
    Backend,
    BackendUnavailable,
    Connection,
    PermanentFailure,
    TemporaryFailure,
)
from syndicate.mail.walk import (
    EditionTally,
    LedgerWalk,
    message_key,
)


class SmtpRun(LedgerWalk[Backend]):
    async def send_jobs(
        self, jobs: Iterator[SendJob], tally: EditionTally, waiting: Counter[str]
    ) -> None:
        rate, connections = self.backend.rate, self.backend.connections
        limit = SendRate(rate, self.ledger.pace, connections)
        ledger = GroupCommit(self.ledger, self.lease)
        workers = min(self.backend.connections, waiting.total()) or 1
        await asyncio.gather(*(self._worker(jobs, tally, limit, ledger) for _ in range(workers)))

    async def _worker(
        self,
        jobs: Iterator[SendJob],
        tally: EditionTally,
        limit: SendRate,
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
        limit: SendRate,
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
                    self._done("skipped")
                    return connection
                sender = self.sender_for(job)
                reply = await connection.deliver(sender, job.email, message, message_key(job))
            except TemporaryFailure as exc:
                await self._flush(ledger, done, Outcome(job, "queued", str(exc)))
                if exc.reconnect and connection is not None:
                    await _quietly_close(connection)
                    connection = None
                if attempt + 1 < self.retry.attempts:
                    await asyncio.sleep(self._backoff(attempt))
                    continue
                tally.failures.append(f"{job.email}: {exc} (left for the next run)")
                self._done("deferred")
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
                self._done("failed")
                return connection
            done.append(Outcome(job, "sent", reply))
            self._done("sent")
            return connection
        return connection

    @staticmethod
    async def _flush(ledger: GroupCommit, done: list[Outcome], *more: Outcome) -> None:
        if done or more:
            await ledger.write([*done, *more])
            done.clear()


class SendRate:
    """At most `rate` messages a second (0: no limit) across all connections, and
    across every dispatch worker of the site: slots are reserved in the store's pace,
    a few at a time (about a second's worth, at most one per connection)."""

    def __init__(self, rate: float, pace: SendPace, connections: int) -> None:
        self.interval = 1 / rate if rate > 0 else 0.0
        self.pace = pace
        self.block = max(1, min(connections, int(rate)))
        self.slots: list[float] = []
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            if not self.slots:
                first = time.monotonic() + self.pace.reserve(self.block, self.interval)
                self.slots = [first + n * self.interval for n in range(self.block)][::-1]
            slot = self.slots.pop()
        delay = slot - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class GroupCommit:
    """The ledger written for all connections at once: what each of them has ready
    when the event loop comes round (its last message's `sent`, the claim of its
    next) goes in one transaction, and each waits for that commit before it hands its
    message over. A transaction costs about the same for one send as for four (about
    25 us of CPU, mostly the commit), and a message cannot do with less than one.

    On the event loop, not in a thread: a writer thread with a connection of its own
    was measured slower (756 against 870 messages/s over 4 connections), the GIL
    passing back and forth between it and the loop."""

    def __init__(self, ledger: Ledger, lease: Lease | None = None) -> None:
        self.ledger = ledger
        self.lease = lease
        self._outcomes: list[Outcome] = []
        self._waiting: list[tuple[SendJob | None, asyncio.Future[str | None]]] = []
        self._flush: asyncio.Handle | None = None

    async def write(self, outcomes: Sequence[Outcome], claim: SendJob | None = None) -> str | None:
        """Once committed: None if `claim` (if any) is now `sending`, else why it was
        skipped (the subscriber left, the address was suppressed)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()
        self._outcomes.extend(outcomes)
        self._waiting.append((claim, future))
        if self._flush is None:
            self._flush = loop.call_soon(self._commit)
        return await future

    def _commit(self) -> None:
        outcomes, waiting = self._outcomes, self._waiting
        self._outcomes, self._waiting, self._flush = [], [], None
        try:
            claims = [job for job, _ in waiting if job]
            claimed = self.ledger.record(outcomes, claims, self.lease)
        except Exception as exc:  # rolled back: each waiter raises it
            for _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        why = {job.subscriber_id: reason for job, reason in claimed.skipped}
        why.update((job.subscriber_id, "taken over by another worker") for job in claimed.lost)
        for job, future in waiting:
            if not future.done():  # a waiter cancelled meanwhile: its claim stays sending
                future.set_result(None if job is None else why.get(job.subscriber_id))


async def _quietly_close(connection: Connection) -> None:
    try:
        await connection.close()
    except Exception:  # the connection is already broken; a new one is opened
        return
