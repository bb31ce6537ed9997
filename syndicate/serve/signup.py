"""Sign-up with double opt-in: a pending subscriber, a signed link mailed through the
configured backend, and a limit on how often one address or one client may ask.

Whatever the address (new, pending, subscribed, suppressed), the answer is the same
page, and the message goes out after the answer: nobody learns who subscribes."""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import jinja2

from syndicate.config import LoadedConfig
from syndicate.deliveries import envelope_sender, list_id, make_backend
from syndicate.digests.messages import header_text
from syndicate.dispatch.backends import PermanentFailure, TemporaryFailure
from syndicate.state import StateStore
from syndicate.subscribers import SubscriberBook, SubscriberRow
from syndicate.tokens import confirm_token


@dataclass
class RateLimit:
    """At most `per_address` sign-ups an hour for one address, `per_client` for one
    client address (a form flood)."""

    per_address: int = 3
    per_client: int = 20
    window: float = 3600.0
    _seen: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def allow(self, key: str, limit: int) -> bool:
        now = time.monotonic()
        seen = self._seen[key]
        while seen and seen[0] < now - self.window:
            seen.popleft()
        if len(seen) >= limit:
            return False
        seen.append(now)
        if len(self._seen) > 100_000:  # a flood of distinct keys: forget the oldest
            self._seen.pop(next(iter(self._seen)))
        return True


def record_pending(config: LoadedConfig, email: str, name: str, sections: tuple[str, ...]) -> bool:
    """Note a sign-up; whether a confirmation should go out (not to someone already
    subscribed, nor to an address whose server refused us for good)."""
    with StateStore(config.paths.state_db) as store:
        book = SubscriberBook(store)
        if email in book.suppressed():
            return False
        known = next((s for s in book.all() if s.email == email), None)
        if known is not None and known.status == "active":
            return False
        if known is None:
            book.upsert([SubscriberRow(email, name, sections, "pending")])
        return True


def confirm(config: LoadedConfig, email: str) -> bool:
    """Activate a confirmed sign-up; whether there was one to activate."""
    with StateStore(config.paths.state_db) as store:
        book = SubscriberBook(store)
        if email in book.suppressed():
            return False
        known = next((s for s in book.all() if s.email == email), None)
        if known is None:
            return False
        if known.status != "active":
            book.set_status(email, "active")
        return True


def confirmation_message(
    config: LoadedConfig, texts: jinja2.Environment, key: str, email: str, name: str
) -> bytes:
    site = config.settings.site
    token = confirm_token(key, email, list_id(config))
    message = EmailMessage()
    sender = Address(header_text(config.title), addr_spec=envelope_sender(config))
    message["From"] = config.settings.digest.from_ or str(sender)
    message["To"] = email
    message["Subject"] = header_text(f"Confirm your subscription to {config.title}")
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=site.host)
    message["Auto-Submitted"] = "auto-generated"
    body = texts.get_template("serve/confirm.txt.j2").render(
        site={"title": config.title, "url": site.base_url},
        name=header_text(name),
        confirm_url=f"{site.base_url}confirm/{token}",
    )
    message.set_content(body)
    return bytes(message)


async def send_confirmation(config: LoadedConfig, email: str, message: bytes) -> str:
    """Hand the message to the site's backend; what happened, for the log."""
    backend = make_backend(config)
    try:
        connection = await backend.connect()
        try:
            return await connection.deliver(
                envelope_sender(config), email, message, f"confirm.{secrets.token_hex(8)}"
            )
        finally:
            await connection.close()
    except (TemporaryFailure, PermanentFailure) as exc:
        return f"not sent: {exc}"
