"""Sending what is queued: the configured backend, each recipient's values (with their
unsubscribe links signed), and the ledger walk over every edition not yet finished."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr

from syndicate._store.lock import worker_lock
from syndicate._store.sends import Lease, SendJob
from syndicate._store.store import StateStore
from syndicate.config import LoadedConfig
from syndicate.digests.headers import Recipient, digest_address, list_id
from syndicate.errors import Problem
from syndicate.mail.backends import Backend, BatchBackend
from syndicate.mail.dkim import signer_for
from syndicate.mail.outbox import Outbox
from syndicate.mail.outbox_run import OutboxRun
from syndicate.mail.smtp import SmtpBackend
from syndicate.mail.smtp_run import SmtpRun
from syndicate.mail.tokens import bounce_token, signing_key, unsubscribe_token, verp_address
from syndicate.mail.walk import EditionTally, RetryPolicy, SendProgress


@dataclass(frozen=True)
class DeliveryReport:
    backend: str
    editions: tuple[EditionTally, ...]
    warnings: tuple[Problem, ...] = ()

    def tally(self, edition_id: str) -> EditionTally | None:
        return next((t for t in self.editions if t.edition == edition_id), None)

    @property
    def problems(self) -> bool:
        return any(t.failed or t.deferred for t in self.editions)

    def as_json(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "editions": [tally.as_json() for tally in self.editions],
            "sent": sum(t.sent for t in self.editions),
            "failed": sum(t.failed for t in self.editions),
            "deferred": sum(t.deferred for t in self.editions),
        }


def make_backend(config: LoadedConfig) -> Backend:
    settings = config.settings
    if settings.dispatch.backend == "outbox":
        return Outbox(config.paths.outbox)
    smtp = settings.smtp
    password = config.secrets.smtp_password
    return SmtpBackend(
        smtp.host,
        smtp.port,
        smtp.security,
        smtp.username,
        password.get_secret_value() if password else None,
        settings.dispatch.connections,
        settings.dispatch.rate,
    )


def recipients(config: LoadedConfig) -> tuple[Callable[[SendJob], Recipient], Problem | None]:
    """Each send's recipient values, with unsubscribe links signed for them."""
    key, note = signing_key(config)
    base, host = config.settings.site.base_url, config.settings.site.host
    listed = list_id(host)

    def recipient(job: SendJob) -> Recipient:
        token = unsubscribe_token(key, job.subscriber_id, listed)
        return Recipient(
            email=job.email,
            name=job.name,
            unsubscribe_url=f"{base}unsubscribe/{token}",
            unsubscribe_mailto=f"mailto:unsubscribe@{host}?subject=unsubscribe%20{token}",
        )

    return recipient, note


def envelope_sender(config: LoadedConfig) -> str:
    """The MAIL FROM of messages that need no VERP (confirmations), and of digests where
    no [bounces] address is set."""
    configured = config.settings.digest.from_
    return parseaddr(configured)[1] if configured else digest_address(config.settings.site.host)


def senders(config: LoadedConfig) -> Callable[[SendJob], str]:
    """Each send's envelope sender: with [bounces] address, its VERP address (naming
    the subscriber and the edition, signed), so that a bounce says whom it is about."""
    address = config.settings.bounces.address
    if address is None:
        plain = envelope_sender(config)
        return lambda job: plain
    key, _ = signing_key(config)

    def sender(job: SendJob) -> str:
        return verp_address(address, bounce_token(key, job.subscriber_id, job.edition_id))

    return sender


def deliver(
    config: LoadedConfig,
    *,
    progress: SendProgress | None = None,
    retry: RetryPolicy | None = None,
    worker_id: str | None = None,
) -> DeliveryReport:
    """Send every queued message of every edition not yet finished, as the dispatch
    worker `worker_id` (default: this host and the site folder's path, so that a worker
    restarted after a kill takes back the sends it held)."""
    backend_name = config.settings.dispatch.backend
    with StateStore(config.store) as store:
        if store.ledger.pending_count() == 0:
            return DeliveryReport(backend_name, ())
    recipient, note = recipients(config)
    sign = signer_for(config)
    backend, retry = make_backend(config), retry or RetryPolicy()
    owner = worker_id or f"{socket.gethostname()}:{config.paths.root.resolve()}"
    with (
        worker_lock(config.store, owner, config.paths.state) as alone,
        StateStore(config.store) as store,
    ):
        if not alone:  # another process works under this id: be a worker of its own
            owner = f"{owner}#{os.getpid()}.{uuid.uuid4().hex[:8]}"
        lease = Lease(owner, seconds=config.settings.dispatch.lease_seconds)
        sender = senders(config)
        walk: OutboxRun | SmtpRun
        parts = (sender, recipient, sign, retry, progress, lease)
        if isinstance(backend, BatchBackend):
            walk = OutboxRun(store.ledger, backend, *parts)
        else:
            walk = SmtpRun(store.ledger, backend, *parts)
        tallies = walk.run()
    return DeliveryReport(backend_name, tuple(tallies), (note,) if note else ())
