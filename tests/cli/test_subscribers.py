"""`syndicate subscribers unsubscribe-mail`: what a site's mail handler pipes a message
sent to the List-Unsubscribe mailto address into."""

from __future__ import annotations

import mailbox
import re
from pathlib import Path

from typer.testing import CliRunner

from syndicate import api
from syndicate._store.store import StateStore
from syndicate.cli import app
from tests.factories import markdown_record, write_site

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
