"""Sign-up with double opt-in: a pending subscriber, a sealed link mailed through the
configured backend, and limits on how often one address, one client and one network
may ask.

The form mails whatever address is typed into it, so it must not be a way to mail
strangers (subscription bombing): the confirmation carries nothing typed into the
form but the address it goes to, the link names nobody, a field that people never
see catches the robots that fill every field, and the limits stop floods.

Whatever the address (new, pending, subscribed, suppressed), the answer is the same
page, and the message goes out after the answer: nobody learns who subscribes. Nor
whether it went: a backend that fails (a login refused, a server not there, an outbox
that cannot be written) costs one warning in the server log, and the address stays
pending, so that asking again once the fault is fixed works."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, make_msgid

import aiosmtplib

from syndicate._store.address import StoreAddress
from syndicate._store.store import StateStore
from syndicate._store.subscribers import SubscriberRow
from syndicate.config import LoadedConfig
from syndicate.digests.headers import header_text, list_id
from syndicate.mail.backends import (
    BackendUnavailable,
    Connection,
    PermanentFailure,
    TemporaryFailure,
)
from syndicate.mail.deliver import envelope_sender, make_backend
from syndicate.mail.tokens import Confirmation, confirm_token
from syndicate.serve.speech import Speech

log = logging.getLogger(__name__)

# What a backend raises when a message cannot go out: the dispatch errors (SMTP's, the
# outbox's write and sync failures, a login refused) and OSError (an outbox folder that
# cannot be created or listed). The SMTP backend wraps aiosmtplib's errors in those;
# one that slipped through would still be a failure to send, not a bug of ours.
SEND_FAILURES = (
    TemporaryFailure,
    PermanentFailure,
    BackendUnavailable,
    OSError,
    aiosmtplib.SMTPException,
)


@dataclass(frozen=True)
class SignupLimits:
    """At most `per_address` sign-ups an hour for one address, `per_client` for one
    client address and `per_network` for its network (an IPv4 /24, an IPv6 /48: one
    machine has many addresses there), counted in the state store: every `serve`
    instance that shares it shares the limits."""

    store: StoreAddress
    per_address: int = 3
    per_client: int = 20
    per_network: int = 60
    window: float = 3600.0

    def allow(self, key: str, limit: int) -> bool:
        with StateStore(self.store) as store:
            return store.rate_counts.allow(key, limit, self.window)

    def allow_client(self, client: str) -> bool:
        """Whether a client may ask again: under the limit of its own address and of
        its network (each ask counts against both)."""
        network = network_of(client)
        own = self.allow(f"client:{client}", self.per_client)
        return self.allow(f"network:{network}", self.per_network) and own


def network_of(client: str) -> str:
    """The network a client address is in (itself, if it is no IP address)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def record_pending(config: LoadedConfig, row: SubscriberRow) -> bool:
    """Note a sign-up (a checked row: address, name, sections, language); whether a
    confirmation should go out (not to someone already subscribed, nor to an address
    whose server refused us for good)."""
    with StateStore(config.store) as store:
        book = store.subscribers
        if book.is_suppressed(row.email):
            return False
        known = book.find(row.email)
        if known is not None and known.status == "active":
            return False
        # Pending, unsubscribed or bounced: what they ask for now is what they get once
        # they confirm (the status changes only then).
        book.upsert([replace(row, status="pending" if known is None else known.status)])
        return True


def confirm(config: LoadedConfig, sign_up: Confirmation) -> bool:
    """Activate a confirmed sign-up; whether there was one to activate. A link from
    before someone left (unsubscribed, bounced) does not bring them back: whoever has
    an old confirmation mail (forwarded, in a shared inbox) could otherwise undo an
    unsubscribe for its week; a new sign-up mails a new link."""
    email = sign_up.email
    with StateStore(config.store) as store:
        book = store.subscribers
        if book.is_suppressed(email):
            return False
        known = book.find(email)
        if known is None:
            return False
        # Both times are whole seconds of the clock of the instance that wrote them: a
        # row changed in the second the link was made is not changed after it.
        left = known.status in ("unsubscribed", "bounced")
        if left and known.updated_at > sign_up.issued:
            return False
        if known.status != "active":
            book.set_status(email, "active")
        return True


def confirmation_message(config: LoadedConfig, speech: Speech, key: str, email: str) -> bytes:
    """The mail that asks to confirm a sign-up, in the language the reader chose. Nothing
    in it comes from the form but the address: not the name typed beside it, which a
    stranger would choose ("Hello Eve, buy ..." to someone else's inbox)."""
    site = config.settings.site
    token = confirm_token(key, email, list_id(config.settings.site.host))
    # An internationalised address is written as it is, in a UTF-8 header (RFC 6532):
    # the default policy would turn it into an encoded word that is no address.
    message = EmailMessage(policy=default if email.isascii() else default.clone(utf8=True))
    sender = Address(header_text(config.title), addr_spec=envelope_sender(config))
    message["From"] = config.settings.digest.from_ or str(sender)
    message["To"] = email
    subject = speech.messages.gettext("Confirm your subscription to %(site)s")
    message["Subject"] = header_text(subject % {"site": config.title})
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=site.host)
    message["Auto-Submitted"] = "auto-generated"
    body = speech.texts.get_template("serve/confirm.txt.j2").render(
        site={"title": config.title, "url": site.base_url},
        confirm_url=f"{site.base_url}confirm/{token}",
    )
    message.set_content(body)
    return bytes(message)


async def send_confirmation(config: LoadedConfig, email: str, message: bytes) -> str:
    """Hand the message to the site's backend and log what happened: a message that
    could not go out as a warning, with its cause (nothing the backend raises for that
    reaches the request). Returns the same outcome."""
    try:
        connection = await make_backend(config).connect()
    except SEND_FAILURES as exc:
        return _not_sent(config, email, exc)
    outcome, failure = "", None
    try:
        outcome = await connection.deliver(
            envelope_sender(config), email, message, f"confirm.{secrets.token_hex(8)}"
        )
    except SEND_FAILURES as exc:
        failure = exc
    finally:
        closing = await _close(connection)
    if failure is not None:
        return _not_sent(config, email, failure) + closing
    log.info("confirmation to %s: %s%s", email, outcome, closing)
    return outcome + closing


async def _close(connection: Connection) -> str:
    """Close; a failure to is a note, not an error: what was sent is sent."""
    try:
        await connection.close()
    except SEND_FAILURES as exc:
        return f" (closing the connection failed: {_cause(exc)})"
    return ""


def _not_sent(config: LoadedConfig, email: str, exc: BaseException) -> str:
    outcome = f"not sent: {_cause(exc)}"
    # A warning: `syndicate serve` shows nothing quieter (uvicorn configures only its own
    # loggers), and the person who signed up will get nothing until they ask again.
    log.warning("confirmation to %s %s (via %s)", email, outcome, config.settings.dispatch.backend)
    return outcome


def _cause(exc: BaseException) -> str:
    """Our errors say what failed; OSError and aiosmtplib's are named as well."""
    if isinstance(exc, TemporaryFailure | PermanentFailure | BackendUnavailable):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
