"""The library's face for sending: the configured backend, each subscriber's values,
and the ledger walk over every edition not yet finished. Wiring only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr

from syndicate._store.store import StateStore
from syndicate.config import LoadedConfig
from syndicate.digests.headers import Recipient
from syndicate.errors import Problem
from syndicate.mail.backends import Backend, Outbox
from syndicate.mail.dkim import dkim_signer
from syndicate.mail.ledger import Ledger, SendJob
from syndicate.mail.sender import Dispatcher, EditionTally, RetryPolicy, SendProgress
from syndicate.mail.smtp import SmtpBackend
from syndicate.mail.tokens import site_key, unsubscribe_token


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
    )


def list_id(config: LoadedConfig) -> str:
    return f"digest.{config.settings.site.host}"


def recipients(config: LoadedConfig) -> tuple[Callable[[SendJob], Recipient], Problem | None]:
    """Each send's recipient values, with unsubscribe links signed for them."""
    secret = config.secrets.secret_key
    key, note = site_key(
        secret.get_secret_value() if secret else None, config.paths.state_db.parent
    )
    base, host, listed = config.settings.site.base_url, config.settings.site.host, list_id(config)

    def recipient(job: SendJob) -> Recipient:
        token = unsubscribe_token(key, job.email, listed)
        return Recipient(
            email=job.email,
            name=job.name,
            unsubscribe_url=f"{base}unsubscribe/{token}",
            unsubscribe_mailto=f"mailto:unsubscribe@{host}?subject=unsubscribe%20{token}",
        )

    return recipient, note


def envelope_sender(config: LoadedConfig) -> str:
    configured = config.settings.digest.from_
    return parseaddr(configured)[1] if configured else f"digest@{config.settings.site.host}"


def deliver(
    config: LoadedConfig,
    *,
    progress: SendProgress | None = None,
    retry: RetryPolicy | None = None,
) -> DeliveryReport:
    """Send every queued message of every edition not yet finished."""
    backend_name = config.settings.dispatch.backend
    if pending_count(config) == 0:
        return DeliveryReport(backend_name, ())
    recipient, note = recipients(config)
    dkim = config.settings.dkim
    key_path = config.secrets.dkim_key_path
    sign = None
    if key_path is not None and dkim.selector and dkim.domain:
        sign = dkim_signer(key_path, dkim.selector, dkim.domain)
    backend = make_backend(config)
    with StateStore(config.paths.state_db) as store:
        dispatcher = Dispatcher(
            Ledger(store),
            backend,
            envelope_sender(config),
            recipient,
            sign,
            config.settings.dispatch.rate,
            retry or RetryPolicy(),
            progress,
        )
        tallies = dispatcher.run()
    return DeliveryReport(backend_name, tuple(tallies), (note,) if note else ())


def pending_count(config: LoadedConfig) -> int:
    """Messages still to send, for a progress bar's total."""
    with StateStore(config.paths.state_db) as store:
        row = store.db.execute(
            "SELECT COUNT(*) FROM send WHERE status IN ('queued', 'sending')"
        ).fetchone()
    return int(row[0])
