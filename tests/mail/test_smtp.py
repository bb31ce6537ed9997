"""Digests sent over SMTP: each subscriber's sections once, leaving mid-run, DKIM, rate limit."""

from __future__ import annotations

import base64
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from mjml import mjml2html as compile_mjml

from syndicate import api
from syndicate._store.store import StateStore
from syndicate.digests import render
from syndicate.validate.digest.message import validate_digest_message
from tests.mail.smtp_server import smtp_server
from tests.mail.smtp_site import (
    ENV,
    HOST,
    Person,
    arrived_once,
    check_message,
    crowd,
    fast_retries,  # noqa: F401 (an autouse fixture)
    news_site,
    query,
    send_status,
    state_db,
    subscriber_ids,
    tally,
    write_subscribers,
)


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every MJML compilation the digest renderer does."""
    calls: list[str] = []

    def counted(mjml: str) -> str:
        calls.append(mjml)
        return str(compile_mjml(mjml))

    monkeypatch.setattr(render, "mjml2html", counted)
    yield calls


# --- 1. the right message to the right people, once ------------------------------------


def test_500_subscribers_each_get_their_sections_once(tmp_path: Path, compiles: list[str]) -> None:
    people = crowd(500)
    with smtp_server() as (port, mailbox):
        root = news_site(tmp_path / "site", port, connections=4)
        write_subscribers(root, people)
        started = time.monotonic()
        report = api.publish(root, ENV)
        elapsed = time.monotonic() - started
        received = list(mailbox.received)

    assert not report.errors, report.errors
    recipients = [p for p in people if p.gets() is not None]
    by_address = {p.address: p for p in people}
    ids_of = subscriber_ids(root)
    arrived_once(mailbox, people)
    ids = [
        check_message(r, by_address[r.recipient], by_address[r.recipient].gets() or (), ids_of)
        for r in received
    ]
    assert len(set(ids)) == len(ids) == len(recipients)

    # Nobody who left, bounced, is pending, is suppressed or chose no section with news.
    counts = mailbox.counts()
    active = [p for p in people if p.status == "active"]
    left_out = {
        "unsubscribed": [p for p in people if p.status == "unsubscribed"],
        "bounced": [p for p in people if p.status == "bounced"],
        "pending": [p for p in people if p.status == "pending"],
        "suppressed": [p for p in active if p.suppressed],
        "no story": [p for p in active if not p.suppressed and p.gets() is None],
    }
    for kind, group in left_out.items():
        assert group, kind
        assert [p.address for p in group if p.address in counts] == [], kind

    variants = {p.gets() for p in recipients}
    assert len(variants) == 6  # all, W, B, C, W+B, B+C
    digest = tally(report)
    suppressed = sum(1 for p in people if p.status == "active" and p.suppressed)
    assert digest["recipients"] == len(recipients)
    assert digest["sent"] == len(recipients)
    assert digest["failed"] == digest["deferred"] == digest["skipped"] == 0
    assert digest["suppressed"] == suppressed > 0
    assert digest["variants"] == len(variants)
    # MJML compiled once per variant (and once for the web copy), never per subscriber.
    assert len(compiles) == len(variants) + 1
    stored = query(root, "SELECT COUNT(*) FROM edition_variant")[0][0]
    assert stored == len(variants)
    sent = query(root, "SELECT status, COUNT(*) FROM send GROUP BY status")
    assert sent == [("sent", len(recipients))]

    # One received message of each variant (and the non-ASCII name) passes the
    # digest validator as it is.
    samples = {by_address[r.recipient].gets(): r for r in reversed(received)}
    samples[None] = next(r for r in received if by_address[r.recipient].name.startswith("Zoë"))
    for r in samples.values():
        checked = validate_digest_message(r.content, f"received:{r.recipient}")
        assert checked.errors == [], (r.recipient, checked.errors)
    print(f"500 subscribers: {len(received)} messages in {elapsed:.2f}s")


# --- 4. an unsubscribe while the edition is going out -----------------------------------


def test_a_subscriber_who_leaves_mid_run_gets_nothing(tmp_path: Path) -> None:
    people = crowd(30, statuses=False, suppress=False)
    recipients = [p.address for p in people if p.gets() is not None]
    early, leaver = recipients[1], recipients[-1]  # sends go in subscriber order
    root = tmp_path / "site"
    left: list[bool] = []

    def fault(recipient: str, tries: int) -> str | None:
        if recipient == early and not left:
            # Another connection to the store, as `syndicate serve` would make.
            with StateStore(state_db(root)) as store:
                left.append(store.subscribers.set_status(leaver, "unsubscribed"))
        return None

    with smtp_server(fault=fault) as (port, mailbox):
        news_site(root, port, connections=2)
        write_subscribers(root, people)
        report = api.publish(root, ENV)
        counts = mailbox.counts()
    assert left == [True]
    assert leaver not in counts
    assert counts == Counter({a: 1 for a in recipients if a != leaver})
    digest = tally(report)
    assert digest["recipients"] == len(recipients)
    assert digest["skipped"] == 1
    assert digest["sent"] == len(recipients) - 1
    assert send_status(root, leaver) == ["skipped"]


# --- 6. DKIM ----------------------------------------------------------------------------


def test_dkim_signatures_verify_and_tampering_breaks_them(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "dkim.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    selector, domain = "nov2026", HOST
    asked: list[bytes] = []

    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        asked.append(name)
        return record if name == f"{selector}._domainkey.{domain}.".encode() else None

    people = crowd(12, statuses=False, suppress=False)
    with smtp_server() as (port, mailbox):
        root = news_site(
            tmp_path / "site",
            port,
            extra=f'\n[dkim]\nselector = "{selector}"\ndomain = "{domain}"\n',
        )
        write_subscribers(root, people)
        report = api.publish(root, {**ENV, "SYNDICATE_DKIM_KEY": str(pem)})
        arrived_once(mailbox, people)
        received = list(mailbox.received)
    assert tally(report)["sent"] == len(received) > 0
    for r in received:
        assert r.content.startswith(b"DKIM-Signature:")
        assert dkim.verify(r.content, dnsfunc=dns), r.recipient
    assert set(asked) == {f"{selector}._domainkey.{domain}.".encode()}

    content = received[0].content
    body = content.index(b"\r\n\r\n") + 4
    spot = content.index(b"Hello", body)  # the greeting in the text part
    tampered = content[:spot] + b"J" + content[spot + 1 :]
    assert not dkim.verify(tampered, dnsfunc=dns)
    header = content.index(b"Subject: ") + len(b"Subject: ")
    retitled = content[:header] + b"X" + content[header + 1 :]
    assert not dkim.verify(retitled, dnsfunc=dns)
    # A message signed for one subscriber does not pass for another.
    other = received[1].content
    swapped = other[: other.index(b"\r\n\r\n")] + content[body - 4 :]
    assert not dkim.verify(swapped, dnsfunc=dns)


# --- 7. the rate limit ------------------------------------------------------------------


def test_the_rate_limit_spaces_messages_out(tmp_path: Path) -> None:
    people = [Person(f"rate{i:02d}@example.org", f"Rate {i}", "") for i in range(20)]
    stamps: list[float] = []

    def clock(recipient: str, tries: int) -> str | None:
        stamps.append(time.monotonic())
        return None

    with smtp_server(fault=clock) as (port, mailbox):
        root = news_site(tmp_path / "site", port, connections=4, rate=20)
        write_subscribers(root, people)
        report = api.publish(root, ENV)
        arrived_once(mailbox, people)
    assert tally(report)["sent"] == 20
    spread = max(stamps) - min(stamps)
    # 20 messages at 20 a second: the last goes 19/20 s after the first.
    assert spread >= 0.9, spread
    print(f"rate 20/s: 20 messages over {spread:.2f}s")
