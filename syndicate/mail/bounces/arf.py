"""Complaints: feedback reports from mailbox providers' feedback loops (ARF, RFC 5965).

The complaint names its recipient in Original-Rcpt-To or Removal-Recipient; where the
provider leaves them out (most redact), in the To of the message it returns. Every
feedback type (abuse, fraud, virus, auth-failure, other) is a complaint: the provider
will hold it against the sender either way.
"""

from __future__ import annotations

from email.message import Message

from syndicate._store.bounces import BounceEvent
from syndicate.mail.bounces.dsn import address_in

_RECIPIENT_FIELDS = ("Original-Rcpt-To", "Removal-Recipient")
_RETURNED = ("message/rfc822", "text/rfc822-headers")


def arf_events(parts: list[Message], edition: str | None) -> list[BounceEvent] | None:
    """The complaints of a feedback report; None when the message is none."""
    feedback = [p for p in parts if p.get_content_type() == "message/feedback-report"]
    if not feedback:
        return _jmrp_events(parts, edition)
    fields = _fields(feedback[0])
    kind = (fields.get_all("Feedback-Type") or [""])[0].strip()
    agent = str(fields.get("User-Agent", "")).strip()
    recipients: list[str] = []
    for name in _RECIPIENT_FIELDS:
        for value in fields.get_all(name) or []:
            found = address_in(str(value))
            if found and "@" in found.rstrip("@") and found not in recipients:
                recipients.append(found)
    if not recipients:
        returned = returned_headers(parts)
        found = address_in(str(returned.get("To", ""))) if returned is not None else None
        recipients = [found] if found else []
    diagnostic = f"feedback report: {kind or 'unknown type'}"
    return [BounceEvent(r, "complaint", None, diagnostic, agent, edition) for r in recipients]


def returned_headers(parts: list[Message]) -> Message | None:
    """The headers of the message a report returns, where it returns one."""
    for part in parts:
        if part.get_content_type() in _RETURNED:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
            if isinstance(payload, str):
                from email.parser import HeaderParser

                return HeaderParser().parsestr(payload)
    return None


def _fields(part: Message) -> Message:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    from email.parser import HeaderParser

    return HeaderParser().parsestr(payload if isinstance(payload, str) else "")


def _jmrp_events(parts: list[Message], edition: str | None) -> list[BounceEvent] | None:
    """Microsoft's junk mail reports (JMRP): no feedback-report part, but the returned
    message carries the recipient who marked it as junk."""
    for part in parts:
        value = part.get("X-HmXmrOriginalRecipient")
        recipient = address_in(str(value)) if value is not None else None
        if recipient:
            return [BounceEvent(recipient, "complaint", None, "junk mail report", "", edition)]
    return None
