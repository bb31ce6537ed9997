"""Bounces in the older formats that carry no delivery-status part (qmail, Exim,
Sendmail, Exchange, webmail providers ...): their recipients from flufl.bounce's
detectors (Mailman's), and from the human-readable text where those find none; the
kind, as for every report, from the words beside each recipient (classify.py), never
from which detector found it.
"""

from __future__ import annotations

import re
from email.message import Message

from flufl.bounce import all_failures

from syndicate._store.bounces import BounceEvent
from syndicate.mail.bounces.classify import kind_of, refused_at_data, status_in

_ADDRESS = re.compile(r"<?([A-Za-z0-9._%+=/!#$&'*^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)>?")
_NOT_RECIPIENTS = re.compile(
    r"^(?:postmaster|mailer-daemon|mail-daemon|abuse|root|noreply|no-reply|bounce)", re.IGNORECASE
)
_RETURNED_MARKERS = re.compile(
    r"^(?:-+ ?(?:original message|the original message|message headers|returned message|"
    r"below this line is a copy)|Received: |Return-Path: |Content-Type: message/rfc822)",
    re.IGNORECASE | re.MULTILINE,
)
_REASON = re.compile(
    r"\b[45]\d\d\b|\b[45]\.\d+\.\d+\b|\b(?:unknown|exist|full|quota|refused|denied)\b",
    re.IGNORECASE,
)
_NAMED_RECIPIENT = re.compile(
    r"^\s*(?:RCPT TO|Could not be delivered to|Recipient address|Failed recipient)\s*:\s*"
    + _ADDRESS.pattern,
    re.IGNORECASE | re.MULTILINE,
)
MAX_TEXT = 200_000  # characters of a report's text read for recipients


def legacy_events(message: Message, text: str, edition: str | None) -> list[BounceEvent]:
    """The failed recipients of a report without a delivery-status part."""
    own = set(_header_addresses(message))
    found: dict[str, None] = {}
    for value in message.get_all("X-Failed-Recipients") or []:  # Exim names them
        for match in _ADDRESS.finditer(str(value)):
            if _recipient(match.group(1).lower(), own):
                found.setdefault(match.group(1).lower(), None)
    detected: list[bytes | str] = []
    try:
        temporary, permanent = all_failures(message)
        detected = [*permanent, *temporary]
    except Exception:  # flufl's detectors meet every kind of broken message: none found
        detected = []
    for address in detected:
        value = address.decode("utf-8", "replace") if isinstance(address, bytes) else address
        candidate = value.strip("<>").lower()
        if _ADDRESS.fullmatch(candidate) and _recipient(candidate, own):
            found.setdefault(candidate, None)
    body = _before_returned(text)[:MAX_TEXT]
    if not found:
        # An address the text names as the recipient (an SMTP transcript's RCPT TO);
        # failing that, every address it names (the sender's own are never taken).
        named = [m.group(1) for m in _NAMED_RECIPIENT.finditer(body)]
        for address in named or [m.group(1) for m in _ADDRESS.finditer(body)]:
            if _recipient(address.lower(), own):
                found.setdefault(address.lower(), None)
    events = []
    for address in found:
        diagnostic = _words_about(address, body)
        status = status_in(diagnostic)
        kind = kind_of(status, diagnostic, at_data=refused_at_data(body, address))
        events.append(BounceEvent(address, kind, status, diagnostic, "", edition))
    return events


def _recipient(address: str, own: set[str]) -> bool:
    return "@" in address and address not in own and not _NOT_RECIPIENTS.match(address)


def _header_addresses(message: Message) -> list[str]:
    """The addresses of the report itself (who sent it, to whom): never its recipients."""
    values = " ".join(str(message.get(name, "")) for name in ("From", "Sender", "Reply-To"))
    return [m.group(1).lower() for m in _ADDRESS.finditer(values)]


def _before_returned(text: str) -> str:
    """The text of a report before the copy of the returned message, where it has one."""
    marker = _RETURNED_MARKERS.search(text)
    return text[: marker.start()] if marker else text


def _words_about(address: str, text: str) -> str:
    """The lines that speak of `address`: its own, and those after it up to a blank line
    or the next address (most formats put the reason there); where those give no
    reason, the lines after the blank ones too (Gmail's "Technical details")."""
    lines = text.splitlines()
    lowered = [line.lower() for line in lines]
    for number, line in enumerate(lowered):
        if address not in line:
            continue
        taken = [lines[number].strip()]
        for following in lines[number + 1 : number + 6]:
            if not following.strip() or (
                _ADDRESS.search(following) and address not in following.lower()
            ):
                break
            taken.append(following.strip())
        if not _REASON.search(" ".join(taken)):
            later = [f.strip() for f in lines[number + 1 : number + 15] if f.strip()]
            taken += [f for f in later if not _ADDRESS.search(f) or address in f.lower()]
        if not _REASON.search(" ".join(taken)):  # the reason first, then the details
            earlier = [e.strip() for e in lines[max(0, number - 8) : number] if e.strip()]
            taken = [e for e in earlier if not _ADDRESS.search(e)] + taken
        return " ".join(taken)[:500]
    return " ".join(line.strip() for line in lines if line.strip())[:500]
