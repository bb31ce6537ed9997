"""Internationalised addresses (RFC 6531): a subscriber whose address has non-ASCII
characters before the @ is taken, sent to where the server offers SMTPUTF8, and
deferred with the reason where it does not: never mangled, never suppressed."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from syndicate import api
from syndicate.mail.subscribers import normalise_email
from syndicate.validate.digest.message import validate_digest_message
from tests.mail.smtp_server import smtp_server
from tests.mail.smtp_site import (
    ENV,
    Person,
    news_site,
    query,
    send_status,
    tally,
    write_subscribers,
)

ZOE = "zoë.ångström@example.org"
PEOPLE = [Person(ZOE, "Zoë Ångström", ""), Person("reader@example.org", "Reader", "")]


def test_an_internationalised_address_is_kept_as_written() -> None:
    assert normalise_email(" Zoë.Ångström@EXAMPLE.org ") == ZOE
    assert normalise_email("josé@bücher.example") == "josé@xn--bcher-kva.example"


def test_it_is_sent_where_the_server_offers_smtputf8(tmp_path: Path) -> None:
    root = tmp_path / "site"
    with smtp_server(smtputf8=True) as (port, mailbox):
        news_site(root, port)
        write_subscribers(root, PEOPLE)
        report = api.publish(root, ENV)
        [received] = mailbox.for_(ZOE)
    assert tally(report)["sent"] == 2
    # A UTF-8 header (RFC 6532): the bytes parser would read it as ASCII.
    message = email.message_from_string(
        received.content.decode("utf-8"), policy=email.policy.SMTPUTF8
    )
    assert message["To"].addresses[0].addr_spec == ZOE
    assert "Zoë Ångström" in str(message["To"])
    assert send_status(root, ZOE) == ["sent"]
    # And `syndicate validate` takes the message as it arrived: UTF-8 in To is allowed.
    checked = validate_digest_message(received.content, "zoe.eml")
    assert [f.message for f in checked.findings if f.code == "bad-header"] == []
    for broken in (
        received.content.replace(b"Subject: ", "Subject: Zoë ".encode(), 1),
        # UTF-8 in To is for an address that needs it, not for a name beside an ASCII one.
        received.content.replace(ZOE.encode(), b"zoe@example.org", 1),
    ):
        assert "bad-header" in [f.code for f in validate_digest_message(broken, "x.eml").findings]


def test_it_waits_where_the_server_does_not(tmp_path: Path) -> None:
    root = tmp_path / "site"
    with smtp_server(smtputf8=False) as (port, mailbox):
        news_site(root, port)
        write_subscribers(root, PEOPLE)
        report = api.publish(root, ENV)
        assert mailbox.for_(ZOE) == []
        assert len(mailbox.for_("reader@example.org")) == 1
    digest = tally(report)
    assert digest["sent"] == 1 and digest["deferred"] == 1
    assert send_status(root, ZOE) == ["queued"]  # deferred: the next dispatch tries again
    [(status,)] = query(root, "SELECT status FROM subscriber WHERE email = ?", ZOE)
    assert status == "active"  # not suppressed: another server may take it
    reasons = [str(row[0]) for row in query(root, "SELECT detail FROM send")]
    assert any("SMTPUTF8" in reason for reason in reasons)


def test_the_sign_up_confirmation_keeps_the_address_whole(tmp_path: Path) -> None:
    from syndicate.config import load_config
    from syndicate.serve.signup import confirmation_message
    from syndicate.serve.speech import speeches_for

    root = tmp_path / "site"
    news_site(root, 25)
    config = load_config(root, ENV)
    message = confirmation_message(config, speeches_for(config)["en"], "k" * 32, ZOE)
    assert f"To: {ZOE}".encode() in message  # UTF-8 (RFC 6532), not an encoded word
