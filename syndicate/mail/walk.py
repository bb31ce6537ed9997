"""The ledger walk: every queued message of every unfinished edition, sent once.

The sends are claimed from the ledger a batch at a time under this worker's lease
(never all at once: other dispatch workers may share the edition), renewed while it
works and let go at the end, and shared by the connections. A send is claimed
(marked `sending`, if its subscriber still wants it: else `skipped`) in a committed
transaction before it is handed over, then written `sent`, `queued` again (a
temporary failure, retried with backoff) or `failed` (a permanent one: the address is
suppressed). Messages are filled from each variant's bytes, prepared once.

How a walk hands messages over depends on the backend: smtp_run.py (a message at a
time, one worker per connection) and outbox_run.py (a batch of files at a time).
"""

from __future__ import annotations

import asyncio
import random
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from syndicate._store.sends import Lease, Ledger, SendJob
from syndicate.digests.headers import Recipient
from syndicate.digests.messages import MessageTemplate
from syndicate.digests.variants import load_variant
from syndicate.errors import StateError

Signer = Callable[[bytes], bytes]
B = TypeVar("B")  # the backend a kind of walk hands messages to


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
    sent_by_worker: int = 0  # of `sent`, how many this worker sent in this run
    with_other_workers: int = 0  # still to go, held by other dispatch workers running now
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
            "sent_by_worker": self.sent_by_worker,
            "with_other_workers": self.with_other_workers,
            "stopped": self.stopped,
        }


class LedgerWalk(ABC, Generic[B]):
    """Sends every queued message of every unfinished edition, through a backend that
    each kind of walk (SMTP, the outbox) hands messages to its own way."""

    def __init__(
        self,
        ledger: Ledger,
        backend: B,
        sender_for: Callable[[SendJob], str],
        recipient_for: Callable[[SendJob], Recipient],
        sign: Signer | None = None,
        retry: RetryPolicy | None = None,
        progress: SendProgress | None = None,
        lease: Lease | None = None,
    ) -> None:
        self.ledger = ledger
        self.backend = backend
        self.sender_for = sender_for  # each message's envelope sender (MAIL FROM)
        self.recipient_for = recipient_for
        self.sign = sign
        self.retry = retry or RetryPolicy()
        self.progress = progress
        self.lease = lease or Lease("local")
        self._handled: Counter[str] = Counter()
        self._renew_failed: str | None = None
        self._templates: dict[tuple[str, str], MessageTemplate] = {}

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
        sent_before = self._handled["sent"]
        renewing = asyncio.create_task(self._keep_lease())
        try:
            # Shared by the connections, if there are several; each takes the next.
            await self.send_jobs(self._leased_jobs(edition, tally), tally, waiting)
        finally:
            renewing.cancel()
            self.ledger.release(self.lease)
        counts = self.ledger.counts(edition)
        tally.sent, tally.failed = counts["sent"], counts["failed"]
        tally.skipped = counts["skipped"]
        tally.deferred, tally.with_other_workers = self.ledger.left_open(edition)
        tally.sent_by_worker = self._handled["sent"] - sent_before
        return tally

    def _leased_jobs(self, edition: str, tally: EditionTally) -> Iterator[SendJob]:
        """The edition's sends this worker gets, a batch claimed at a time until none
        is left to claim (or the lease could not be renewed: the store is gone)."""
        while self._renew_failed is None and (
            batch := self.ledger.claim_batch(edition, self.lease)
        ):
            for job in batch:
                tally.in_doubt += job.in_doubt
                yield job
        if self._renew_failed is not None:
            tally.stopped = self._renew_failed

    async def _keep_lease(self) -> None:
        """Renew the lease on this run's sends while it works (a third of its length
        apart, so that a slow renewal or two does not lose it). If it cannot be
        renewed (the store unreachable for longer than Database.retrying waits), the
        walk claims nothing more; what it holds is not handed over once the hold runs
        out (Ledger.record), and other workers take it over."""
        while True:
            await asyncio.sleep(self.lease.seconds / 3)
            try:
                self.ledger.renew(self.lease)
            except StateError as exc:
                self._renew_failed = f"the lease could not be renewed ({exc.message})"
                return

    @abstractmethod
    async def send_jobs(
        self, jobs: Iterator[SendJob], tally: EditionTally, waiting: Counter[str]
    ) -> None:
        """Hand over every message of `jobs` (`waiting`: how many, by status), writing
        each one's outcome in the ledger and in `tally`."""

    def _backoff(self, attempt: int) -> float:
        delay: float = min(self.retry.cap, self.retry.base * float(2**attempt))
        return delay / 2 + random.uniform(0, delay / 2)  # jitter: retries do not march

    def _message(self, job: SendJob) -> bytes:
        key = (job.edition_id, job.variant)
        template = self._templates.get(key)
        if template is None:
            variant, headers = load_variant(self.ledger.variant(*key))
            template = self._templates[key] = MessageTemplate.prepare(variant, headers)
        message = template.fill(self.recipient_for(job))
        return self.sign(message) if self.sign is not None else message

    def _done(self, outcome: str) -> None:
        self._handled[outcome] += 1
        if self.progress is not None:
            self.progress.advance(outcome)


def message_key(job: SendJob) -> str:
    """What names the message in the backend: the outbox's file is named after it."""
    return f"{job.edition_id}.{job.subscriber_id}"
