"""A news site published over SMTP with both DKIM keys (RSA and Ed25519), once for
the whole test session: what arrived, and the key records; and the keys' files."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from syndicate import api
from tests.mail.smtp_server import smtp_server
from tests.mail.smtp_site import ENV, HOST, arrived_once, crowd, news_site, tally, write_subscribers

Keys = tuple[rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey]


def pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def rsa_record(key: rsa.RSAPrivateKey) -> bytes:
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def ed25519_record(key: ed25519.Ed25519PrivateKey) -> bytes:
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return b"v=DKIM1; k=ed25519; p=" + base64.b64encode(public)


def new_keys() -> Keys:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048), (
        ed25519.Ed25519PrivateKey.generate()
    )


@dataclass(frozen=True)
class Published:
    """A publish over SMTP signed with both keys: what arrived, and the DNS records."""

    received: list[bytes]
    records: dict[bytes, bytes]
    rsa_record: bytes

    def dns(self, name: bytes, timeout: int = 5) -> bytes | None:
        return self.records.get(name)

    def tampered(self) -> list[bytes]:
        """The first message with one letter of its body, or of its Subject, changed."""
        content = self.received[0]
        body = content.index(b"\r\n\r\n") + 4
        return [
            content[:body] + content[body:].replace(b"Hello", b"Jello", 1),
            content.replace(b"Subject: ", b"Subject: X", 1),
        ]


def publish_signed(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Published:
    rsa_key, ed_key = keys
    folder = tmp_path_factory.mktemp("dkim")
    people = crowd(8, statuses=False, suppress=False)
    with smtp_server() as (port, mailbox):
        dkim_table = f'\n[dkim]\nselector = "s1"\ndomain = "{HOST}"\ned25519_selector = "e1"\n'
        root = news_site(folder / "site", port, extra=dkim_table)
        write_subscribers(root, people)
        environ = {
            **ENV,
            "SYNDICATE_DKIM_KEY": str(pem(rsa_key, folder / "rsa.pem")),
            "SYNDICATE_DKIM_ED25519_KEY": str(pem(ed_key, folder / "ed.pem")),
        }
        report = api.publish(root, environ)
        arrived_once(mailbox, people)
        received = [r.content for r in mailbox.received]
    assert tally(report)["sent"] == len(received) > 0
    records = {
        f"s1._domainkey.{HOST}.".encode(): rsa_record(rsa_key),
        f"e1._domainkey.{HOST}.".encode(): ed25519_record(ed_key),
    }
    return Published(received, records, rsa_record(rsa_key))
