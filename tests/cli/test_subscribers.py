"""`syndicate subscribers unsubscribe-mail` and `syndicate bounces`: what a site's mail
handler pipes a message sent to the List-Unsubscribe mailto address into."""

from __future__ import annotations

import json
import mailbox
import re
from pathlib import Path

from typer.testing import CliRunner

from syndicate import api
from syndicate._store.store import StateStore
from syndicate.cli import app
from tests.factories import markdown_record, write_site
from tests.mail.bounces.reports import postfix_dsn

ENV = {"SYNDICATE_SECRET_KEY": "a key for the tests"}


def published_site(root: Path) -> Path:
    write_site(
        root,
        {"world/tide.md": markdown_record({"title": "Tide Turns"})},
        config='[site]\nbase_url = "https://news.example.com/"\n',
    )
    (root / "subscribers.csv").write_text(
        "email,name\nana@example.com,Ana\nben@example.com,Ben\n", "utf-8"
    )
    api.publish(root, ENV)
    return root


def statuses(root: Path) -> dict[str, str]:
    with StateStore(root / ".syndicate" / "state.db") as store:
        return {s.email: s.status for s in store.subscribers.all()}


def reply_to_mailto(root: Path, recipient: str) -> bytes:
    for message in mailbox.Maildir(root / "outbox", create=False):
        if message["To"].endswith(f"<{recipient}>") or message["To"] == recipient:
            header = re.sub(r"\s+", "", str(message["List-Unsubscribe"]))
            subject = re.search(r"subject=unsubscribe%20([^>]+)>", header)
            assert subject is not None
            return f"From: {recipient}\nSubject: unsubscribe {subject.group(1)}\n\n".encode()
    raise AssertionError(f"no message to {recipient}")


def test_the_mailto_reply_unsubscribes_exactly_its_sender(tmp_path: Path) -> None:
    root = published_site(tmp_path / "site")
    reply = reply_to_mailto(root, "ana@example.com")
    result = CliRunner().invoke(
        app, ["subscribers", "unsubscribe-mail", "--dir", str(root)], input=reply, env=ENV
    )
    assert result.exit_code == 0, result.output
    assert statuses(root) == {"ana@example.com": "unsubscribed", "ben@example.com": "active"}


def test_a_forged_or_foreign_token_changes_nothing(tmp_path: Path) -> None:
    root = published_site(tmp_path / "site")
    reply = reply_to_mailto(root, "ana@example.com")
    for message, env in (
        (reply[:-10] + b"tampered\n\n", ENV),  # a changed token
        (reply, {"SYNDICATE_SECRET_KEY": "another site's key"}),
        (b"Subject: please unsubscribe me\n\n", ENV),
    ):
        result = CliRunner().invoke(
            app, ["subscribers", "unsubscribe-mail", "--dir", str(root)], input=message, env=env
        )
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert "no valid unsubscribe token" in result.stderr
    assert set(statuses(root).values()) == {"active"}


def test_bounces_reads_unsubscribe_requests_with_the_rest_of_the_incoming_mail(
    tmp_path: Path,
) -> None:
    """One command for all the mail that comes back: requests, bounces, the rest."""
    root = published_site(tmp_path / "site")
    reply = reply_to_mailto(root, "ana@example.com")
    forged = reply.replace(b"unsubscribe ", b"unsubscribe x", 1)
    box = mailbox.Maildir(tmp_path / "incoming", create=True)
    keys = [
        box.add(b"Message-ID: <r1@mail.example>\n" + reply),
        box.add(forged),
        box.add(postfix_dsn("ben@example.com")),
    ]
    command = ["bounces", str(root), str(tmp_path / "incoming"), "--json"]
    result = CliRunner().invoke(app, command, env=ENV)
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    source = f"{tmp_path / 'incoming'}:"
    assert run["unsubscribes"] == [
        {"source": source + keys[0], "recipient": "ana@example.com", "subscriber": "unsubscribed"}
    ]
    assert (run["messages"], run["reports"], run["not_reports"]) == (3, 1, 1)
    assert run["problems"] == [
        {
            "source": source + keys[1],
            "message": "ignored: an unsubscribe request whose token does not verify",
        }
    ]
    assert statuses(root) == {"ana@example.com": "unsubscribed", "ben@example.com": "bounced"}
    again = json.loads(CliRunner().invoke(app, command, env=ENV).stdout)
    assert (again["already_seen"], again["unsubscribes"]) == (3, [])


def test_an_unsubscribe_request_leaves_a_bounced_address_bounced(tmp_path: Path) -> None:
    root = published_site(tmp_path / "site")
    reply = reply_to_mailto(root, "ana@example.com")
    with StateStore(root / ".syndicate" / "state.db") as store:
        store.subscribers.set_status("ana@example.com", "bounced")
    result = CliRunner().invoke(app, ["bounces", str(root), "-", "--json"], input=reply, env=ENV)
    assert result.exit_code == 0, result.output
    [request] = json.loads(result.stdout)["unsubscribes"]
    assert (request["recipient"], request["subscriber"]) == ("ana@example.com", "bounced")
    assert statuses(root)["ana@example.com"] == "bounced"
