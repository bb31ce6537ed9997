"""Delivery status notifications (RFC 3464): the machine-readable part of a bounce.

Each recipient block gives Final-Recipient (or Original-Recipient), Action, Status and
Diagnostic-Code; the message block, Reporting-MTA. Only failures and delays are events:
a DSN that says a message was delivered or relayed is no bounce.
"""

from __future__ import annotations

import re
from email.message import Message

from syndicate._store.bounces import BounceEvent
from syndicate.mail.bounces.classify import kind_of, refused_at_data, status_in

_FAILED = ("failed", "delayed")
_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")
_ADDRESS = re.compile(r"[^\s<>;\"'(),]+@[^\s<>;\"'(),]+")


def dsn_events(report: Message, edition: str | None, text: str = "") -> list[BounceEvent] | None:
    """The events of a message/delivery-status part; None when `report` is no such part,
    or names no recipient (then the report's text may)."""
    blocks = _blocks(report)
    if not blocks:
        return None
    reporting = _value(blocks[0], "Reporting-MTA")
    events = []
    named = False
    for block in blocks:
        recipient = address_in(_value(block, "Final-Recipient")) or address_in(
            _value(block, "Original-Recipient")
        )
        if recipient is None:
            continue
        named = True
        action = _value(block, "Action").lower()
        if action and action not in _FAILED:
            continue  # delivered, relayed, expanded: no bounce
        diagnostic = _value(block, "Diagnostic-Code")
        diagnostic = re.sub(r"^\s*[\w-]+\s*;\s*", "", diagnostic)  # "smtp; 550 ..."
        status = status_in(_value(block, "Status")) or status_in(diagnostic)
        at_data = refused_at_data(text, recipient)
        kind = kind_of(status, diagnostic, temporary=action == "delayed", at_data=at_data)
        events.append(BounceEvent(recipient, kind, status, diagnostic, reporting, edition))
    return events if named else None


def address_in(value: str) -> str | None:
    """The address of a field such as `rfc822; Name <a@b.example>`, lower-cased."""
    if not value:
        return None
    value = value.split(";", 1)[1] if ";" in value.split("@", 1)[0] else value
    found = _ADDRESS.search(value)
    return found.group(0).strip(".").lower() if found else None


_FIELD_LINE = re.compile(r"^(?:final|original)-recipient\s*:", re.IGNORECASE | re.MULTILINE)


def loose_dsn_events(text: str, edition: str | None) -> list[BounceEvent] | None:
    """The events of delivery-status fields found in a report's text: a report whose
    MIME parts the parser could not find (a boundary that never comes) still has them."""
    if not _FIELD_LINE.search(text):
        return None
    part = Message()
    part.set_type("message/delivery-status")
    part.set_payload(text)
    return dsn_events(part, edition, text)


def _blocks(report: Message) -> list[Message]:
    """The field blocks of a delivery-status part, however the parser left them."""
    if report.get_content_type() not in (
        "message/delivery-status",
        "message/global-delivery-status",
    ):
        return []
    payload = report.get_payload()
    if isinstance(payload, list):
        return [part for part in payload if isinstance(part, Message)]
    if isinstance(payload, str):  # some parsers leave it text: read it as header blocks
        from email.parser import HeaderParser

        parser = HeaderParser()
        return [parser.parsestr(block) for block in re.split(r"\r?\n\s*\r?\n", payload) if block]
    return []


def _value(block: Message, name: str) -> str:
    value = block.get(name)
    return " ".join(str(value).split()) if value is not None else ""
