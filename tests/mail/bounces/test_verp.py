"""VERP: every message's envelope sender names its subscriber and edition in a signed,
opaque token; a bounce mailed back to it is about them for certain. End to end: a relay
that accepts everything mails DSNs back, `bounces` reads them, and the next edition
skips the dead addresses."""

from __future__ import annotations

import mailbox
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from syndicate import api, mailing_list
from syndicate.mail.tokens import (
    VerpAddresses,
    bounce_token,
    read_bounce_token,
    verp_address,
)
from tests.mail.bounces import reports
from tests.mail.smtp_server import smtp_server
from tests.mail.smtp_site import (
    ENV,
    SECRET,
    Person,
    add_story,
    news_site,
    subscriber_ids,
    write_subscribers,
)

BOUNCES = "bounces@news.example.com"
DEAD = {"gone.one@example.com", "gone.two@example.org"}
PEOPLE = [
    Person("alive.one@example.com", "Alive One", ""),
    Person("gone.one@example.com", "Gone One", ""),
    Person("alive.two@example.org", "Alive Two", "World"),
    Person("gone.two@example.org", "Gone Two", ""),
]


@given(
    st.integers(1, 2**40),
    st.from_regex(r"20[0-9]{2}-[01][0-9]-[0-3][0-9](-[0-9]{1,3})?", fullmatch=True),
)
def test_a_bounce_token_reads_back_and_fits_an_address(subscriber: int, edition: str) -> None:
    token = bounce_token(SECRET, subscriber, edition)
    address = verp_address(BOUNCES, token)
    assert len(address.split("@")[0]) <= 64  # RFC 5321's limit on a local part
    assert read_bounce_token(SECRET, token) == (subscriber, edition)
    assert read_bounce_token(SECRET, token.upper()) == (subscriber, edition)  # case folded
    assert read_bounce_token("another key", token) is None
    verp = VerpAddresses(BOUNCES, SECRET)
    assert verp.ours(address.upper()) and verp.read(address) == (subscriber, edition)
    assert not verp.ours(f"other+{token}@news.example.com")


def test_a_tampered_bounce_token_is_refused() -> None:
    token = bounce_token(SECRET, 7, "2026-12-06")
    for place in range(len(token)):
        changed = token[:place] + ("a" if token[place] != "a" else "b") + token[place + 1 :]
        assert read_bounce_token(SECRET, changed) != (7, "2026-12-06")


def relayed_site(tmp_path: Path, port: int) -> Path:
    root = news_site(tmp_path / "site", port, extra=f'\n[bounces]\naddress = "{BOUNCES}"\n')
    write_subscribers(root, PEOPLE)
    return root


def test_bounces_mailed_back_to_verp_addresses_stop_the_next_edition(tmp_path: Path) -> None:
    returned = mailbox.Maildir(tmp_path / "Bounces", create=True)
    with smtp_server() as (port, relay):
        root = relayed_site(tmp_path, port)
        first = api.publish(root, ENV)
        assert not first.errors
        # The relay took everything; it mails a DSN for each dead address to its sender.
        senders = {r.recipient: r.sender for r in relay.received}
        assert set(senders) == {p.address for p in PEOPLE}
        ids = subscriber_ids(root)
        edition = first.digest.edition.edition_id if first.digest and first.digest.edition else ""
        for address, sender in senders.items():
            local, domain = sender.split("@")
            assert local.startswith("bounces+") and domain == "news.example.com"
            token = local.removeprefix("bounces+")
            assert address.split("@")[0] not in token
            assert read_bounce_token(SECRET, token) == (ids[address], edition)
            if address in DEAD:
                # A relay that rewrote the recipient (an alias): the token still names them.
                dsn = reports.postfix_dsn("mailbox.9@relay.example.net")
                returned.add(dsn.replace(b"To: bounces@news.example.com", f"To: {sender}".encode()))
        run = mailing_list.read_bounces(root, ENV, [str(tmp_path / "Bounces")])
        assert run.problems == []
        events = run.events
        assert sorted((e["recipient"], e["kind"], e["subscriber"]) for e in events) == [
            ("gone.one@example.com", "hard", "bounced"),
            ("gone.two@example.org", "hard", "bounced"),
        ]
        add_story(root, "World", "Harbour Wall Repaired")
        relay.received.clear()
        second = api.publish(root, ENV)
        assert second.digest is not None and second.digest.edition is not None
        assert {r.recipient for r in relay.received} == {
            "alive.one@example.com",
            "alive.two@example.org",
        }


def test_without_a_bounces_address_the_sender_is_the_digest_s(tmp_path: Path) -> None:
    with smtp_server() as (port, relay):
        root = news_site(tmp_path / "site", port)
        write_subscribers(root, PEOPLE[:1])
        api.publish(root, ENV)
        assert [r.sender for r in relay.received] == ["digest@news.example.com"]


def test_a_forged_verp_token_is_reported_and_never_trusted(tmp_path: Path) -> None:
    with smtp_server() as (port, _):
        root = relayed_site(tmp_path, port)
        api.publish(root, ENV)
    forged = verp_address(BOUNCES, bounce_token("not the site's key", 1, "2026-12-06"))
    dsn = reports.postfix_dsn("nobody.known@example.net")
    path = tmp_path / "forged.eml"
    path.write_bytes(dsn.replace(b"To: bounces@news.example.com", f"To: {forged}".encode()))
    run = mailing_list.read_bounces(root, ENV, [str(path)])
    assert not run.unreadable
    assert [p["message"].split(" (")[0] for p in run.problems] == [
        "ignored: a VERP address whose token does not verify"
    ]
    assert [(e["recipient"], e["subscriber"]) for e in run.events] == [
        ("nobody.known@example.net", None)
    ]
