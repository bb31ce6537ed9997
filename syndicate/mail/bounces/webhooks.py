"""Providers that report by HTTP: each request checked for who sent it, then read into
the same events as mail that comes back.

- Amazon SES through SNS: the message's signature verified with the certificate that
  SigningCertURL names, fetched only over https from an `sns.<region>.amazonaws.com`
  host; its topic one of `bounces.sns_topics`; a subscription confirmed by fetching its
  SubscribeURL (checked the same way).
- SendGrid's event webhook: ECDSA (P-256, SHA-256) over timestamp and body, with the
  public key in SYNDICATE_SENDGRID_WEBHOOK_KEY.
- Mailgun: HMAC-SHA256 of timestamp and token with SYNDICATE_MAILGUN_SIGNING_KEY (the
  event data itself is not signed: the token, once used, is refused again).
- Postmark: HTTP basic auth whose password is SYNDICATE_POSTMARK_WEBHOOK_SECRET.

Where the provider signs a time (SNS, SendGrid, Mailgun) it must be within TOLERANCE of
ours; every request's id is remembered by the caller, and one seen before is a replay.
A forged, replayed, stale or malformed request is refused (WebhookRefused, a 4xx) and
changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from syndicate._store.bounces import BounceEvent, Kind
from syndicate.digests.headers import edition_in_message_id
from syndicate.errors import WebhookRefused
from syndicate.mail.bounces.classify import kind_of, status_in
from syndicate.mail.bounces.dsn import address_in
from syndicate.mail.bounces.ses import ses_events

TOLERANCE = timedelta(minutes=15)
MAX_BODY = 1024 * 1024
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SNS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?")

# Fetches an https URL's body (the SNS certificate, the subscription's confirmation).
Fetch = Callable[[str], bytes]


@dataclass(frozen=True)
class Delivery:
    """A request that passed its checks: what it reports, and the id that makes it one."""

    request_id: str
    events: tuple[BounceEvent, ...]
    note: str = ""
    # Each event's own id, where the provider gives one: an event that comes again in
    # another request (a retry, signed anew) is applied once.
    event_ids: tuple[str, ...] | None = None


def _json(body: bytes) -> Any:
    if len(body) > MAX_BODY:
        raise WebhookRefused(413, "too large")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise WebhookRefused(400, "not JSON, or nested too deeply") from None


def _recent(moment: datetime, now: datetime) -> None:
    if moment.tzinfo is None or abs(now - moment) > TOLERANCE:
        raise WebhookRefused(400, "too old, or from the future: a replay?")


# --- Amazon SES through SNS --------------------------------------------------------------

_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip


def sns_delivery(body: bytes, topics: tuple[str, ...], fetch: Fetch, now: datetime) -> Delivery:
    document = _json(body)
    if not isinstance(document, dict):
        raise WebhookRefused(400, "not an SNS message")
    kind = document.get("Type")
    if not isinstance(kind, str) or kind not in _SIGNED:
        raise WebhookRefused(400, "not an SNS notification or subscription confirmation")
    # Each signed field a string, and none but the Message on more than one line: the
    # string signed is "name\nvalue\n" in turn, which a newline in a value could
    # rearrange into the same bytes with another MessageId (a replay under a new id).
    for name in _SIGNED[kind]:
        value = document.get(name)
        if value is None and name in ("Message", "Subject"):
            continue
        if not isinstance(value, str) or (name != "Message" and "\n" in value):
            raise WebhookRefused(400, f"no {name} as SNS writes it")
    if not _UUID.fullmatch(document["MessageId"]):
        raise WebhookRefused(400, "a MessageId that is no SNS message id")
    if document["TopicArn"] not in topics:
        raise WebhookRefused(403, "a topic that is not in bounces.sns_topics")
    _verify_sns(document, kind, fetch)
    try:
        sent = datetime.fromisoformat(document["Timestamp"].replace("Z", "+00:00"))
    except ValueError:
        raise WebhookRefused(400, "no readable Timestamp") from None
    _recent(sent, now)
    request_id = f"sns:{document['MessageId']}"
    if kind == "SubscriptionConfirmation":
        confirm = document.get("SubscribeURL")
        if not isinstance(confirm, str) or not _sns_url(confirm):
            raise WebhookRefused(400, "a SubscribeURL that is not SNS's")
        try:
            fetch(confirm)
        except (OSError, HTTPException) as exc:  # SNS sends it again: a 5xx, not a refusal
            raise WebhookRefused(502, f"the subscription was not confirmed ({exc})") from None
        return Delivery(request_id, (), f"subscribed to {document['TopicArn']}")
    try:
        notification = json.loads(document["Message"])
    except (ValueError, TypeError, RecursionError):
        raise WebhookRefused(400, "a Message that is not an SES notification") from None
    if not isinstance(notification, dict):
        raise WebhookRefused(400, "a Message that is not an SES notification")
    return Delivery(request_id, tuple(ses_events(notification)))


def _verify_sns(document: Mapping[str, Any], kind: str, fetch: Fetch) -> None:
    url = document.get("SigningCertURL")
    if not isinstance(url, str) or not _sns_url(url) or not urlsplit(url).path.endswith(".pem"):
        raise WebhookRefused(403, "a SigningCertURL that is not SNS's")
    try:
        signature = base64.b64decode(str(document.get("Signature", "")), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRefused(403, "no readable signature") from None
    try:
        signed = "".join(
            f"{name}\n{document[name]}\n"
            for name in _SIGNED[kind]
            if document.get(name) is not None
        ).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which JSON can carry and UTF-8 cannot
        raise WebhookRefused(400, "text that is not Unicode") from None
    digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(str(document.get("SignatureVersion")))
    if digest is None:
        raise WebhookRefused(403, "an unknown SignatureVersion")
    try:
        key = x509.load_pem_x509_certificate(fetch(url)).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise WebhookRefused(403, "a certificate without an RSA key")
        key.verify(signature, signed, padding.PKCS1v15(), digest)
    except InvalidSignature:
        raise WebhookRefused(403, "a signature that does not verify") from None
    except (ValueError, OSError, HTTPException) as exc:
        raise WebhookRefused(403, f"no usable signing certificate ({exc})") from None


def _sns_url(url: str) -> bool:
    """An https URL on an SNS host: no port, no user, nothing that could lead elsewhere."""
    try:
        parts = urlsplit(url)
        plain = parts.port is None and parts.username is None and parts.password is None
    except ValueError:
        return False
    return plain and parts.scheme == "https" and bool(_SNS_HOST.fullmatch(parts.hostname or ""))


# --- SendGrid ------------------------------------------------------------------------------

# A message SendGrid would not send, because of its own list of the address: the same
# verdict as the bounce or complaint that put it there.
_SENDGRID_DROPPED: dict[str, Kind] = {
    "bounced address": "hard",
    "invalid": "hard",
    "spam reporting address": "complaint",
}


def sendgrid_delivery(
    body: bytes, headers: Mapping[str, str], public_key: str, now: datetime
) -> Delivery:
    signature = headers.get("x-twilio-email-event-webhook-signature", "")
    stamp = headers.get("x-twilio-email-event-webhook-timestamp", "")
    try:
        key = serialization.load_der_public_key(base64.b64decode(public_key))
    except (ValueError, binascii.Error):
        raise WebhookRefused(500, "SYNDICATE_SENDGRID_WEBHOOK_KEY is no public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise WebhookRefused(500, "SYNDICATE_SENDGRID_WEBHOOK_KEY is no ECDSA public key")
    try:
        key.verify(base64.b64decode(signature), stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        raise WebhookRefused(403, "a signature that does not verify") from None
    _recent(_epoch(stamp), now)
    items = _json(body)
    if not isinstance(items, list):
        raise WebhookRefused(400, "not a list of events")
    found = [
        (item, event)
        for item in items
        if isinstance(item, dict) and (event := _sendgrid_event(item)) is not None
    ]
    # The batch's id is its events' ids (not the signed time): the same batch again is
    # a replay; each event's own id keeps one that comes again in another batch once.
    ids = sorted(str(i.get("sg_event_id", "")) for i in items if isinstance(i, dict))
    digest = hashlib.sha256("\n".join(ids).encode() if any(ids) else body).hexdigest()[:32]
    event_ids = tuple(
        f"sendgrid:{item['sg_event_id']}" if item.get("sg_event_id") else f"sendgrid:{digest}:{n}"
        for n, (item, _) in enumerate(found)
    )
    return Delivery(f"sendgrid:{digest}", tuple(event for _, event in found), event_ids=event_ids)


def _sendgrid_event(item: dict[str, Any]) -> BounceEvent | None:
    """A bounce, block, spam report or drop; None for the rest (delivered, opened, and
    deferred, which is no failure yet)."""
    recipient = address_in(str(item.get("email", "")))
    name, reason = str(item.get("event", "")), str(item.get("reason", ""))
    status = status_in(str(item.get("status", ""))) or status_in(reason)
    edition = edition_in_message_id(str(item.get("smtp-id", "")))
    if recipient is None:
        return None
    if name == "spamreport":
        kind: Kind = "complaint"
    elif name == "bounce":
        blocked = item.get("type") == "blocked"  # the receiver refused us, not the address
        kind = "soft" if blocked else kind_of(status, reason)
    elif name == "dropped" and reason.strip().lower() in _SENDGRID_DROPPED:
        kind = _SENDGRID_DROPPED[reason.strip().lower()]
    else:
        return None
    return BounceEvent(recipient, kind, status, reason[:500], "sendgrid", edition)


# --- Mailgun -------------------------------------------------------------------------------


def mailgun_delivery(body: bytes, signing_key: str, now: datetime) -> Delivery:
    document = _json(body)
    signed = document.get("signature") if isinstance(document, dict) else None
    if not isinstance(signed, dict):
        raise WebhookRefused(400, "no signature")
    stamp, token, given = (str(signed.get(k, "")) for k in ("timestamp", "token", "signature"))
    try:
        signed_bytes, given_bytes = (stamp + token).encode(), given.encode()
    except UnicodeEncodeError:  # a lone surrogate, which JSON can carry and UTF-8 cannot
        raise WebhookRefused(400, "text that is not Unicode") from None
    expected = hmac.new(signing_key.encode(), signed_bytes, hashlib.sha256).hexdigest().encode()
    if not token or not hmac.compare_digest(expected, given_bytes):
        raise WebhookRefused(403, "a signature that does not verify")
    _recent(_epoch(stamp), now)
    data = document.get("event-data")
    if not isinstance(data, dict):
        raise WebhookRefused(400, "no event-data")
    event = _mailgun_event(data)
    # The token is what is signed (the event data is not): it alone makes a replay.
    event_id = str(data.get("id") or f"token-{token}")
    return Delivery(
        f"mailgun:{token}",
        () if event is None else (event,),
        event_ids=None if event is None else (f"mailgun:event:{event_id}",),
    )


# A failure that is Mailgun's refusal to send, for its own list of the address.
_MAILGUN_SUPPRESSED: dict[str, Kind] = {
    "suppress-bounce": "hard",
    "suppress-complaint": "complaint",
    "suppress-unsubscribe": "unknown",  # they left through Mailgun's link: not ours to judge
}


def _mailgun_event(data: Mapping[str, Any]) -> BounceEvent | None:
    """A permanent or temporary failure, or a complaint; None for the rest."""
    recipient = address_in(str(data.get("recipient", "")))
    message = data.get("message")
    headers = message.get("headers") if isinstance(message, dict) else None
    message_id = headers.get("message-id") if isinstance(headers, dict) else None
    edition = edition_in_message_id(f"<{str(message_id or '').strip('<>')}>")
    if recipient is None:
        return None
    if data.get("event") == "complained":
        return BounceEvent(recipient, "complaint", None, "complained", "mailgun", edition)
    if data.get("event") != "failed":
        return None
    suppressed = _MAILGUN_SUPPRESSED.get(str(data.get("reason", "")))
    if suppressed is not None:  # not sent: Mailgun's own list holds the address
        reason = f"not sent: {data.get('reason')}"
        return BounceEvent(recipient, suppressed, None, reason, "mailgun", edition)
    status_block = data.get("delivery-status")
    delivery = status_block if isinstance(status_block, dict) else {}
    diagnostic = " ".join(
        str(delivery.get(k) or "") for k in ("code", "message", "description")
    ).strip()
    status = status_in(str(delivery.get("enhanced-code") or "")) or status_in(diagnostic)
    kind = kind_of(status, diagnostic, temporary=data.get("severity") == "temporary")
    return BounceEvent(recipient, kind, status, diagnostic[:500], "mailgun", edition)


# --- Postmark ------------------------------------------------------------------------------

# Postmark's bounce types; one not named here (Unsubscribe, Subscribe, AddressChange,
# an error of Postmark's own ...) is stored as unknown and changes nothing.
_POSTMARK_KINDS: dict[str, Kind] = {
    "HardBounce": "hard",
    "BadEmailAddress": "hard",
    "ManuallyDeactivated": "hard",
    "SpamComplaint": "complaint",
    "AutoResponder": "auto-reply",
    **dict.fromkeys(
        (
            "SoftBounce", "Transient", "DnsError", "Blocked", "SpamNotification",
            "VirusNotification", "DMARCPolicy",
        ),
        "soft",
    ),
    "ChallengeVerification": "auto-reply",  # a challenge-response system answering
}  # fmt: skip


def postmark_delivery(body: bytes, authorization: str, secret: str) -> Delivery:
    scheme, _, credentials = authorization.partition(" ")
    try:
        _, _, password = base64.b64decode(credentials).decode("utf-8").partition(":")
    except (binascii.Error, ValueError):
        password = ""
    if scheme.lower() != "basic" or not hmac.compare_digest(password.encode(), secret.encode()):
        raise WebhookRefused(401, "no or wrong credentials")
    document = _json(body)
    record = document.get("RecordType") if isinstance(document, dict) else None
    if record not in ("Bounce", "SpamComplaint") or not document.get("ID"):
        raise WebhookRefused(400, "not a bounce or spam complaint record")
    recipient = address_in(str(document.get("Email", "")))
    diagnostic = " ".join(str(document.get(k) or "") for k in ("Description", "Details")).strip()
    events = []
    if recipient is not None:
        name = "SpamComplaint" if record == "SpamComplaint" else str(document.get("Type", ""))
        kind = _POSTMARK_KINDS.get(name, "unknown")
        status = status_in(diagnostic)
        events.append(BounceEvent(recipient, kind, status, diagnostic[:500], "postmark"))
    return Delivery(f"postmark:{record}:{document['ID']}", tuple(events))


def _epoch(value: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError):
        raise WebhookRefused(400, "no readable timestamp") from None
