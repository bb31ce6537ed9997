"""Reading mail that comes back: bounces, complaints and auto-replies, whatever sent them.

In order of trust: the VERP token of the address a report was sent to (it names the
subscriber and the edition); a complaint's feedback report (ARF, RFC 5965, or
Microsoft's JMRP); an Amazon SES notification; a delivery status notification's
machine-readable part (RFC 3464); then the older formats (legacy.py). An auto-reply
(RFC 3834, vacation and out-of-office messages) is never a bounce. A message that is
none of these is "not a report" and gives no event.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import re
from dataclasses import dataclass, field, replace
from email.message import Message
from typing import Protocol

from syndicate._store.bounces import BounceEvent
from syndicate.mail.bounces.arf import arf_events, returned_headers
from syndicate.mail.bounces.classify import kind_of, status_in
from syndicate.mail.bounces.dsn import address_in, dsn_events, loose_dsn_events
from syndicate.mail.bounces.legacy import legacy_events
from syndicate.mail.bounces.ses import ses_events, ses_notification

MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # a report is a few KB; a larger message is no report
MAX_PARTS = 500
# Our Message-ID (digests/headers.message_id): the edition, then a hash of the address.
_OUR_MESSAGE_ID = re.compile(
    rb"message-id:\s*<(\d{4}-\d{2}-\d{2}(?:-\d+)?)\.[0-9a-f]{24}@", re.IGNORECASE
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|auto:|out of (?:the )?office|"
    r"vacation|on vacation|away from|abwesenheit|r[ée]ponse automatique|absence|"
    r"respuesta autom[aá]tica|risposta automatica|自動応答|不在)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|delivery (?:status|failure|has failed|notification)|"
    r"failure|mail delivery|non.?delivery|could not be delivered|rejected|bounce|"
    r"error sending|delivery error|not delivered|could not send|エラー|不達|未配達",
    re.IGNORECASE,
)
_DAEMON = re.compile(r"^(?:mailer-?daemon|mail-daemon|post_?master)(?:@|$)", re.IGNORECASE)


class VerpReader(Protocol):
    """The site's VERP addresses (mail.tokens.VerpAddresses)."""

    def ours(self, address: str) -> bool:
        """Whether `address` is the site's bounce address with a token."""
        ...

    def read(self, address: str) -> tuple[int, str] | None:
        """The subscriber id and edition its token names; None: forged or damaged."""
        ...


class ReportError(ValueError):
    """A message that cannot be read at all (too large, too deeply nested, no MIME)."""


@dataclass(frozen=True)
class Reading:
    """What one message says: its events, and whether it was a report at all."""

    events: tuple[BounceEvent, ...] = ()
    report: bool = False
    token: tuple[int, str] | None = None  # the VERP token's subscriber and edition
    forged: str | None = None  # a VERP address whose token did not verify
    message_id: str = ""
    notes: tuple[str, ...] = field(default=())


def read_report(raw: bytes, verp: VerpReader | None = None) -> Reading:
    """What a message that came back says; ReportError if it cannot be read."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ReportError(f"{len(raw):,} bytes: too large for a report")
    try:
        message = email.message_from_bytes(raw)
        parts = _parts(message, into_returned=True)
    except RecursionError:
        raise ReportError("MIME parts nested too deeply to read") from None
    message_id = " ".join(str(message.get("Message-ID", "")).split())[:500]
    edition = _our_edition(raw)
    token, forged = _verp_token(message, verp)
    text = _text(message)
    events = arf_events(parts, edition)
    notification = ses_notification(text) if events is None else None
    if notification is not None:
        events = ses_events(notification) or None
    if events is None:
        events = _first_dsn(parts, edition, text)
    if events is None and _looks_like_bounce(message):
        events = (
            loose_dsn_events(text, edition)
            or legacy_events(message, text, edition)
            or _returned_to(parts, text, edition)
        )
    if events is None:
        if _auto_reply(message):
            sender = address_in(str(message.get("From", "")))
            replied = (
                (BounceEvent(sender, "auto-reply", None, _subject(message)),) if sender else ()
            )
            return Reading(replied, True, token, forged, message_id)
        if token is not None:  # about the subscriber and edition the token names
            status = status_in(text)
            about = BounceEvent("", kind_of(status, text), status, " ".join(text.split())[:500])
            return Reading((replace(about, edition=token[1]),), True, token, forged, message_id)
        if _BOUNCE_SUBJECT.search(_subject(message)):
            return Reading((), True, token, forged, message_id, ("a report naming no recipient",))
        return Reading((), False, token, forged, message_id)
    if token is not None:
        events = [replace(e, edition=e.edition or token[1]) for e in events]
    return Reading(tuple(events), True, token, forged, message_id)


def _first_dsn(parts: list[Message], edition: str | None, text: str) -> list[BounceEvent] | None:
    for part in parts:
        events = dsn_events(part, edition, text)
        if events is not None:
            return events
    return None


def _returned_to(parts: list[Message], text: str, edition: str | None) -> list[BounceEvent] | None:
    """A bounce that names no recipient (Postfix's "Delivery report unavailable"): the
    one address its returned message was sent to, where it returns one."""
    returned = returned_headers(parts)
    if returned is None:
        return None
    addresses = [a for a in (address_in(v) for v in returned.get_all("To") or []) if a]
    if len(addresses) != 1:
        return None
    diagnostic = " ".join(text.split())[:500]
    return [
        BounceEvent(
            addresses[0], kind_of(status_in(text), diagnostic), None, diagnostic, "", edition
        )
    ]


def _our_edition(raw: bytes) -> str | None:
    """The edition of the message that came back, where its Message-ID is ours."""
    found = _OUR_MESSAGE_ID.search(raw)
    return found.group(1).decode("ascii") if found else None


def _verp_token(
    message: Message, verp: VerpReader | None
) -> tuple[tuple[int, str] | None, str | None]:
    """The token of the VERP address the report was sent to, verified; or the address
    whose token did not verify."""
    if verp is None:
        return None, None
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "To"):
        for value in message.get_all(name) or []:
            address = address_in(str(value))
            if address is None or not verp.ours(address):
                continue
            token = verp.read(address)
            return (token, None) if token is not None else (None, address)
    return None, None


def _looks_like_bounce(message: Message) -> bool:
    """A mail daemon's message, naming failed recipients, or with a bounce's subject: the
    older formats are looked for only there, never in a person's reply."""
    sender = address_in(str(message.get("From", ""))) or str(message.get("From", "")).strip()
    return bool(
        _DAEMON.match(sender)
        or message.get("X-Failed-Recipients")
        or _BOUNCE_SUBJECT.search(_subject(message))
        or message.get_content_type() == "multipart/report"
    )


def _auto_reply(message: Message) -> bool:
    """RFC 3834 auto-replies and vacation messages: never bounces. A bounce is also
    "auto-replied": what looks like one (a mail daemon's, naming failed recipients, with
    a bounce's subject) is no auto-reply."""
    if _looks_like_bounce(message):
        return False
    if str(message.get("Auto-Submitted", "")).strip().lower().startswith("auto-replied"):
        return True
    if any(message.get(name) for name in ("X-Autoreply", "X-Autorespond")):
        return True
    if str(message.get("Precedence", "")).strip().lower() == "auto_reply":
        return True
    return bool(_AUTO_SUBJECT.search(_subject(message)))


def _subject(message: Message) -> str:
    try:
        pieces = email.header.decode_header(message.get("Subject", ""))
    except (ValueError, email.errors.HeaderParseError):
        pieces = [(str(message.get("Subject", "")), None)]
    words = []
    for piece, charset in pieces:
        if isinstance(piece, str):
            words.append(piece)
            continue
        # Raw 8-bit (SMTPUTF8, or a careless MTA) comes as "unknown-8bit": mostly UTF-8.
        charset = "utf-8" if charset in (None, "unknown-8bit") else charset
        try:
            words.append(piece.decode(charset, "replace"))
        except (LookupError, UnicodeError):  # no such codec, or one that cannot replace
            words.append(piece.decode("utf-8", "replace"))
    return " ".join("".join(words).split())[:300]


_MIME_LINES = re.compile(
    r"^(?:--[^\s]+|Content-[\w-]+:.*|Mime-Version:.*|\s*boundary=.*)\r?$",
    re.IGNORECASE | re.MULTILINE,
)
_LEAVES = ("message/delivery-status", "message/global-delivery-status", "message/feedback-report")


def _parts(message: Message, *, into_returned: bool) -> list[Message]:
    """The parts of a report, in order (a delivery-status part is one, however many
    recipient blocks it holds); with `into_returned`, those of the message it returns."""
    found: list[Message] = []
    pending = [message]
    while pending:
        part = pending.pop(0)
        found.append(part)
        if len(found) > MAX_PARTS:
            raise ReportError(f"more than {MAX_PARTS} MIME parts: no report has so many")
        kind = part.get_content_type()
        if not part.is_multipart() or kind in _LEAVES:
            continue
        if part.get_content_maintype() == "multipart" or into_returned:
            pending[:0] = [p for p in part.get_payload() if isinstance(p, Message)]
    return found


def _text(message: Message) -> str:
    """The human-readable text of a report: its own text parts, decoded as they say."""
    texts = []
    for part in _parts(message, into_returned=False):
        # A multipart whose boundary never comes (or came on a line of its own, not
        # folded into its header) is left unsplit: its text is read without the lines
        # of MIME structure (part headers, boundaries), which are no one's words.
        unsplit = part.get_content_maintype() == "multipart" and not part.is_multipart()
        if not unsplit and (
            part.get_content_maintype() != "text"
            or part.get_content_type() == "text/rfc822-headers"
        ):
            continue
        try:
            payload = part.get_payload(decode=True)
        except (ValueError, TypeError):
            continue
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            decoded = payload.decode(charset, "replace")
        except LookupError:
            decoded = payload.decode("utf-8", "replace")
        texts.append(_MIME_LINES.sub("", decoded) if unsplit else decoded)
    return "\n".join(texts)
