"""The ledger walk into the outbox: a batch of files at a time.

The files prove their own delivery, so a batch takes two transactions, and its files
are written while the batch before is being synced to disk.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from itertools import islice

from syndicate._store.sends import Outcome, SendJob
from syndicate.mail.backends import BackendUnavailable, BatchBackend, Staged, TemporaryFailure
from syndicate.mail.walk import (
    EditionTally,
    LedgerWalk,
    message_key,
)


class OutboxRun(LedgerWalk[BatchBackend]):
    async def send_jobs(
        self, jobs: Iterator[SendJob], tally: EditionTally, waiting: Counter[str]
    ) -> None:
        await self._batch_worker(self.backend, jobs, tally)

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
                self._done("deferred")
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
                claim = self.ledger.record(claim=batch, lease=self.lease)
                for _ in claim.skipped + claim.lost:
                    self._done("skipped")
                claimed = claim.sending
                messages = (
                    (self.sender_for(j), j.email, self._message(j), message_key(j)) for j in claimed
                )
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
        for result in delivered:
            if isinstance(result, str):
                self._done("sent")
