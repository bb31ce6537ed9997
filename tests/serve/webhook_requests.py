"""Webhook requests in the shapes the providers document, signed with keys made here:
SNS (Amazon SES), SendGrid, Mailgun and Postmark."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

TOPIC = "arn:aws:sns:eu-west-1:123456789012:news-bounces"
SNS_HOST = "sns.eu-west-1.amazonaws.com"
CERT_URL = f"https://{SNS_HOST}/SimpleNotificationService-0123456789abcdef.pem"
MAILGUN_KEY = "key-mailgun-signing-0a1b2c3d4e5f"
POSTMARK_SECRET = "postmark-hook-secret-9z8y7x"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class SnsSigner:
    """An RSA key and a certificate for it, standing in for SNS's."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    @property
    def certificate(self) -> bytes:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SNS_HOST)])
        now = datetime.now(UTC)
        built = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )
        return built.public_bytes(serialization.Encoding.PEM)

    def notification(
        self, message: dict[str, Any], *, topic: str = TOPIC, **fields: str
    ) -> dict[str, str]:
        document = {
            "Type": "Notification",
            "MessageId": fields.pop("MessageId", str(uuid.uuid4())),
            "TopicArn": topic,
            "Message": json.dumps(message),
            "Timestamp": fields.pop("Timestamp", iso(datetime.now(UTC))),
            "SignatureVersion": fields.pop("SignatureVersion", "1"),
            "SigningCertURL": fields.pop("SigningCertURL", CERT_URL),
            "UnsubscribeURL": f"https://{SNS_HOST}/?Action=Unsubscribe",
            **fields,
        }
        return self.signed(document)

    def confirmation(self, subscribe_url: str, *, topic: str = TOPIC) -> dict[str, str]:
        document = {
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a7",
            "TopicArn": topic,
            "Message": f"You have chosen to subscribe to the topic {topic}.",
            "SubscribeURL": subscribe_url,
            "Timestamp": iso(datetime.now(UTC)),
            "SignatureVersion": "2",
            "SigningCertURL": CERT_URL,
        }
        return self.signed(document)

    def signed(self, document: dict[str, str]) -> dict[str, str]:
        """The document with its Signature, made as SNS documents it."""
        names = {
            "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
            "SubscriptionConfirmation": (
                "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
            ),
        }[document["Type"]]  # fmt: skip
        text = "".join(f"{n}\n{document[n]}\n" for n in names if n in document)
        digest = hashes.SHA256() if document["SignatureVersion"] == "2" else hashes.SHA1()
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), digest)
        return {**document, "Signature": base64.b64encode(signature).decode()}


def ses_bounce(recipient: str, *, permanent: bool = True, code: str = "5.1.1") -> dict[str, Any]:
    """An SES bounce notification (the SNS message's Message), as SES documents it."""
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent" if permanent else "Transient",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": code,
                    "diagnosticCode": f"smtp; 550 {code} user unknown",
                }
            ],
            "timestamp": iso(datetime.now(UTC)),
            "feedbackId": "0102016a-0000-0000-0000-000000000000-000000",
            "reportingMTA": "dsn; a27-23.smtp-out.eu-west-1.amazonses.com",
        },
        "mail": {
            "timestamp": iso(datetime.now(UTC)),
            "source": "digest@news.example.com",
            "messageId": "0102016a-ses-id",
            "destination": [recipient],
            "headers": [
                {"name": "Message-ID", "value": "<2026-12-01.0a1b2c3d4e5f0a1b2c3d4e5f@news>"}
            ],
        },
    }


def ses_complaint(recipient: str) -> dict[str, Any]:
    return {
        "notificationType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": recipient}],
            "complaintFeedbackType": "abuse",
            "timestamp": iso(datetime.now(UTC)),
            "feedbackId": "0102016a-complaint",
        },
        "mail": {"messageId": "0102016a-ses-id", "destination": [recipient]},
    }


@dataclass
class SendGridSigner:
    """An ECDSA P-256 key, as SendGrid's signed event webhook has; `public` is what
    SYNDICATE_SENDGRID_WEBHOOK_KEY holds (base64 DER, as SendGrid shows it)."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def public(self) -> str:
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def request(
        self, events: list[dict[str, Any]], stamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(events).encode()
        moment = str(int(time.time()) if stamp is None else stamp)
        signature = self.key.sign(moment.encode() + body, ec.ECDSA(hashes.SHA256()))
        return body, {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": moment,
            "Content-Type": "application/json",
        }


def sendgrid_event(email: str, event: str, **fields: Any) -> dict[str, Any]:
    return {
        "email": email,
        "timestamp": int(time.time()),
        "smtp-id": "<2026-12-01.0a1b2c3d4e5f0a1b2c3d4e5f@news.example.com>",
        "event": event,
        "sg_event_id": hashlib.sha256(f"{email}{event}{fields}".encode()).hexdigest()[:22],
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        **fields,
    }


def mailgun_request(
    event_data: dict[str, Any],
    *,
    key: str = MAILGUN_KEY,
    stamp: int | None = None,
    token: str = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0",
) -> bytes:
    moment = str(int(time.time()) if stamp is None else stamp)
    signature = hmac.new(key.encode(), (moment + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {
            "signature": {"timestamp": moment, "token": token, "signature": signature},
            "event-data": event_data,
        }
    ).encode()


def mailgun_failure(recipient: str, *, severity: str = "permanent") -> dict[str, Any]:
    return {
        "event": "failed",
        "severity": severity,
        "recipient": recipient,
        "reason": "bounce" if severity == "permanent" else "generic",
        "timestamp": time.time(),
        "id": hashlib.sha256(f"{recipient}{severity}".encode()).hexdigest()[:22],
        "delivery-status": {
            "code": 550 if severity == "permanent" else 452,
            "enhanced-code": "5.1.1" if severity == "permanent" else "4.2.2",
            "message": "No such user" if severity == "permanent" else "Mailbox full",
            "description": "",
            "attempt-no": 1,
        },
        "message": {
            "headers": {
                "to": recipient,
                "message-id": "2026-12-01.0a1b2c3d4e5f0a1b2c3d4e5f@news.example.com",
                "from": "digest@news.example.com",
                "subject": "The World digest",
            }
        },
    }


def postmark_bounce(
    email: str, kind: str = "HardBounce", record_id: int = 4323372036854775807
) -> bytes:
    return json.dumps(
        {
            "RecordType": "Bounce",
            "ID": record_id,
            "Type": kind,
            "TypeCode": 1,
            "Name": "Hard bounce",
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "Description": "The server was unable to deliver your message (ex: unknown user).",
            "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
            "Email": email,
            "From": "digest@news.example.com",
            "BouncedAt": iso(datetime.now(UTC)),
            "Inactive": True,
            "CanActivate": True,
            "MessageStream": "outbound",
        }
    ).encode()


def postmark_complaint(email: str) -> bytes:
    return json.dumps(
        {
            "RecordType": "SpamComplaint",
            "ID": 42,
            "Type": "SpamComplaint",
            "TypeCode": 512,
            "Email": email,
            "From": "digest@news.example.com",
            "BouncedAt": iso(datetime.now(UTC)),
            "Inactive": True,
        }
    ).encode()


def basic(password: str, user: str = "postmark") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}
