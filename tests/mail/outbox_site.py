"""A digest site with subscribers of every kind, and readers of its Maildir and state store."""

from __future__ import annotations

import email.message
import json
import mailbox
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syndicate import api
from syndicate._store.store import StateStore
from syndicate.mail.deliver import DeliveryReport
from syndicate.reports import PublishReport
from tests.factories import markdown_record, write_site

SECTIONS = ("World", "Business", "Culture")
CONFIG = (
    f'[site]\nbase_url = "https://news.example.com/"\nsections = {json.dumps(list(SECTIONS))}\n'
)
# Who subscribes, and which sections each one gets of an edition with all three.
SUBSCRIBERS = (
    "email,name,sections,status\n"
    "all@example.com,All Sections,,active\n"
    "world@example.com,Wendy World,World,\n"
    'worldbiz@example.com,"Biz, Wanda",World;Business,active\n'
    "culture@example.com,Carl,culture,active\n"  # matched whatever the case
    "every@example.com,Eve,World;Business;Culture,active\n"
    "left@example.com,Left,,unsubscribed\n"
    "bounced@example.com,Bounced,,bounced\n"
    "pending@example.com,Pending,,pending\n"
    "suppressed@example.com,Suppressed,,active\n"
)
GETS: dict[str, frozenset[str]] = {
    "all@example.com": frozenset(SECTIONS),
    "world@example.com": frozenset({"World"}),
    "worldbiz@example.com": frozenset({"World", "Business"}),
    "culture@example.com": frozenset({"Culture"}),
    "every@example.com": frozenset(SECTIONS),
}


def story(section: str, number: int, day: int) -> str:
    return markdown_record(
        {
            "title": f"{section} story {number}",
            "section": section,
            "published": f"2026-10-{day:02d}T09:00:00Z",
            "summary": f"What happened in {section} story {number}.",
        }
    )


def digest_site(root: Path, subscribers: str = SUBSCRIBERS) -> Path:
    """Two stories in each of three sections, subscribers of every kind; one of them
    (suppressed@) is on the suppression list."""
    files = {
        f"{section.lower()}/story-{n}.md": story(section, n, 2 * n + i)
        for i, section in enumerate(SECTIONS)
        for n in (1, 2)
    }
    write_site(root, files, CONFIG)
    (root / "subscribers.csv").write_text(subscribers, "utf-8")
    with StateStore(state_db(root)) as store:
        store.subscribers.suppress("suppressed@example.com", "550 5.1.1 no such user")
    return root


def state_db(root: Path) -> Path:
    return root / ".syndicate" / "state.db"


def sql(root: Path, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(state_db(root))
    try:
        with db:
            return db.execute(statement, args).fetchall()
    finally:
        db.close()


def subscriber_ids(root: Path) -> dict[str, int]:
    return {email: id_ for email, id_ in sql(root, "SELECT email, id FROM subscriber")}


def new_files(root: Path) -> list[str]:
    new = root / "outbox" / "new"
    return sorted(p.name for p in new.iterdir()) if new.is_dir() else []


def files_of(names: list[str], edition: str, subscriber: int) -> list[str]:
    """The Maildir files named after one send: `<edition>.<subscriber>.<host>`."""
    return [name for name in names if name.startswith(f"{edition}.{subscriber}.")]


def body_part(message: email.message.Message, kind: str) -> str:
    for part in message.walk():
        if part.get_content_type() == kind:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no {kind} part")


def text_part(message: email.message.Message) -> str:
    return body_part(message, "text/plain")


def sections_in(message: email.message.Message) -> frozenset[str]:
    """The sections whose stories the message holds, the same in its text and HTML."""
    found = [
        frozenset(s for s in SECTIONS if f"{s} story 1" in body or f"{s} story 2" in body)
        for body in (text_part(message), body_part(message, "text/html"))
    ]
    assert found[0] == found[1], found
    return found[0]


def outbox(root: Path) -> Iterator[tuple[str, email.message.Message]]:
    """(file key, message) for every message in the Maildir, new/ and cur/."""
    box = mailbox.Maildir(root / "outbox", factory=None, create=False)
    for key in box.iterkeys():
        yield key, box[key]


def recipient(message: email.message.Message) -> str:
    found = re.search(r"<([^>]+)>", str(message["To"]))
    return found.group(1) if found else str(message["To"])


def publish_without_sending(root: Path) -> PublishReport:
    """Publish that queues the sends and stops there, as a run killed before sending does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api, "deliver", lambda config, **_: DeliveryReport("outbox", ()))
        return api.publish(root, {})
