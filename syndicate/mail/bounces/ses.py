"""Amazon SES notifications (bounces, complaints), as SES mails them or posts them
through SNS: one JSON document of `notificationType` (or `eventType`) Bounce or
Complaint. A Permanent bounce is judged by its diagnostic like any other; a Transient
one is soft; an Undetermined one is stored as unknown and changes nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from syndicate._store.bounces import BounceEvent, Kind
from syndicate.digests.headers import edition_in_message_id
from syndicate.mail.bounces.classify import kind_of, status_in
from syndicate.mail.bounces.dsn import address_in


def ses_notification(text: str) -> dict[str, Any] | None:
    """The SES notification a text holds, if it holds one."""
    start = text.find("{")
    if start < 0 or ('"notificationType"' not in text and '"eventType"' not in text):
        return None
    try:
        document, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:  # cut short (a mail gateway's line limit): what can be read of it
        return _salvaged(text[start:])
    if not isinstance(document, dict):
        return None
    kind = document.get("notificationType") or document.get("eventType")
    return document if kind in ("Bounce", "Complaint") else None


def _salvaged(text: str) -> dict[str, Any] | None:
    """The recipients of a notification whose JSON was cut short, with their codes."""
    kind = re.search(r'"(?:notificationType|eventType)"\s*:\s*"(Bounce|Complaint)"', text)
    if kind is None:
        return None
    field = "bouncedRecipients" if kind.group(1) == "Bounce" else "complainedRecipients"
    listed = re.search(rf'"{field}"\s*:\s*\[(.*?)\]', text, re.DOTALL)
    if listed is None:
        return None
    recipients = []
    for item in re.finditer(r"\{(.*?)\}", listed.group(1), re.DOTALL):
        fields = dict(re.findall(r'"(\w+)"\s*:\s*"((?:[^"\\]|\\.)*)"', item.group(1)))
        recipients.append(fields)
    permanent = re.search(r'"bounceType"\s*:\s*"Permanent"', text) is not None
    if kind.group(1) == "Complaint":
        return {"notificationType": "Complaint", "complaint": {"complainedRecipients": recipients}}
    bounce = {
        "bounceType": "Permanent" if permanent else "Transient",
        "bouncedRecipients": recipients,
    }
    return {"notificationType": "Bounce", "bounce": bounce}


def ses_events(notification: dict[str, Any]) -> list[BounceEvent]:
    """The events of one SES notification (see ses_notification)."""
    edition = _edition(notification.get("mail"))
    kind = notification.get("notificationType") or notification.get("eventType")
    if kind == "Complaint":
        complaint = notification.get("complaint")
        if not isinstance(complaint, dict):
            return []
        feedback = str(complaint.get("complaintFeedbackType") or "abuse")
        return [
            BounceEvent(address, "complaint", None, f"feedback report: {feedback}", "ses", edition)
            for address in _addresses(complaint.get("complainedRecipients"))
        ]
    bounce = notification.get("bounce")
    if not isinstance(bounce, dict):
        return []
    bounce_type = bounce.get("bounceType")
    temporary = bounce_type not in ("Permanent", "Undetermined")
    reporting = str(bounce.get("reportingMTA") or "ses")
    subtype = str(bounce.get("bounceSubType") or "")
    events = []
    for recipient in bounce.get("bouncedRecipients") or []:
        if not isinstance(recipient, dict):
            continue
        address = address_in(str(recipient.get("emailAddress") or ""))
        if address is None:
            continue
        diagnostic = re.sub(r"^\s*[\w-]+\s*;\s*", "", str(recipient.get("diagnosticCode") or ""))
        diagnostic = diagnostic or subtype
        status = status_in(str(recipient.get("status") or "")) or status_in(diagnostic)
        found: Kind = (
            "unknown"  # SES could not tell what the reply meant: neither verdict is ours
            if bounce_type == "Undetermined"
            else kind_of(status, diagnostic, temporary=temporary)
        )
        events.append(BounceEvent(address, found, status, diagnostic[:500], reporting, edition))
    return events


def _addresses(recipients: object) -> list[str]:
    if not isinstance(recipients, list):
        return []
    found = (
        address_in(str(r.get("emailAddress") or "")) for r in recipients if isinstance(r, dict)
    )
    return [address for address in found if address]


def _edition(mail: object) -> str | None:
    """The edition of the message SES reports on, where its Message-ID is ours."""
    if not isinstance(mail, dict):
        return None
    for header in mail.get("headers") or []:
        if isinstance(header, dict) and str(header.get("name", "")).lower() == "message-id":
            edition = edition_in_message_id(str(header.get("value", "")))
            if edition:
                return edition
    common = mail.get("commonHeaders")
    if isinstance(common, dict):
        return edition_in_message_id(str(common.get("messageId", "")))
    return None
