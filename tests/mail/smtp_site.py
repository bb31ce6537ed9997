"""A news site and a crowd of subscribers for runs over SMTP, and checks of what arrives."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from syndicate._store.store import StateStore
from syndicate.mail import deliver as deliveries
from syndicate.mail.tokens import read_unsubscribe_token
from syndicate.mail.walk import RetryPolicy
from syndicate.reports import PublishReport
from tests.factories import markdown_record, write_site
from tests.mail.smtp_server import Mailbox, Received

SECTIONS = ("World", "Business", "Culture")  # the sections with stories this edition
CONFIGURED = (*SECTIONS, "Sport")  # Sport is configured but has no story
HOST = "news.example.com"
LIST_ID = f"digest.{HOST}"
SENDER = f"Harbour News <digest@{HOST}>"
SECRET = "a-test-key-that-signs-unsubscribe-links"
ENV = {"SYNDICATE_SECRET_KEY": SECRET}
FIRST = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
STORIES = 2  # per section


# --- the site -------------------------------------------------------------------------


def headline(section: str, number: int) -> str:
    return f"{section} headline {'ABCDEFGH'[number]}"  # no title is a prefix of another


def news_site(
    root: Path,
    port: int,
    *,
    security: str = "none",
    connections: int = 4,
    rate: float = 0,
    extra: str = "",
) -> Path:
    files = {
        f"{section.lower()}/story-{n}.md": markdown_record(
            {
                "title": headline(section, n),
                "section": section,
                "published": (FIRST + timedelta(hours=3 * n + i)).isoformat(),
                "summary": f"What happened in {section.lower()}, part {n}.",
            }
        )
        for i, section in enumerate(SECTIONS)
        for n in range(STORIES)
    }
    config = f"""\
[site]
title = "Harbour News"
base_url = "https://{HOST}/"
sections = {json.dumps(list(CONFIGURED))}

[digest]
from = "{SENDER}"

[dispatch]
backend = "smtp"
connections = {connections}
rate = {rate}

[smtp]
host = "127.0.0.1"
port = {port}
security = "{security}"
{extra}"""
    return write_site(root, files, config)


def add_story(root: Path, section: str, title: str) -> None:
    path = root / "articles" / section.lower() / f"{title.lower().replace(' ', '-')}.md"
    path.write_text(
        markdown_record({"title": title, "section": section, "summary": "Later news."}), "utf-8"
    )


# --- subscribers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    email: str  # as written in the CSV
    name: str
    sections: str  # as written in the CSV: ';'-separated, any case
    status: str = "active"
    suppressed: bool = False  # put on the suppression list before the run

    @property
    def address(self) -> str:
        return self.email.lower()

    def gets(self, in_edition: Sequence[str] = SECTIONS) -> tuple[str, ...] | None:
        """The sections of their message, in the site's order; None: no message."""
        if self.status != "active" or self.suppressed:
            return None
        chosen = {s.strip().casefold() for s in self.sections.split(";") if s.strip()}
        if not chosen:
            return tuple(in_edition)
        return tuple(s for s in in_edition if s.casefold() in chosen) or None


# What subscribers choose, in turn: all (nothing chosen), one, two, other case, a
# section with no story this time (alone: nothing to send; with another: that one),
# a section that does not exist, all three spelled out (the same as everything).
CHOICES = (
    "",
    "World",
    "Business",
    "culture",
    "World;Business",
    "business;CULTURE",
    "Sport",
    "Sport;World",
    "Politics",
    "World;Business;Culture",
)


def crowd(count: int, *, statuses: bool = True, suppress: bool = True) -> list[Person]:
    people = []
    for i in range(count):
        status = "active"
        if statuses and i % 23 == 5:
            status = "unsubscribed"
        elif statuses and i % 29 == 7:
            status = "bounced"
        elif statuses and i % 37 == 9:
            status = "pending"
        name = f"Zoë Ångström {i}" if i % 50 == 0 else f"Reader {i}"
        local = f"Reader{i:03d}" if i % 40 == 1 else f"reader{i:03d}"  # stored lower-case
        people.append(
            Person(
                f"{local}@example.org",
                name,
                CHOICES[i % len(CHOICES)],
                status,
                suppressed=suppress and i % 19 == 11,
            )
        )
    return people


def write_subscribers(root: Path, people: Sequence[Person]) -> None:
    """subscribers.csv (publish imports it), and the suppression list beforehand."""
    with open(root / "subscribers.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "name", "sections", "status"])
        for p in people:
            writer.writerow([p.email, p.name, p.sections, p.status])
    suppressed = [p for p in people if p.suppressed]
    if suppressed:
        with StateStore(state_db(root)) as store:
            book = store.subscribers
            for p in suppressed:
                book.suppress(p.address, "550 refused in an earlier campaign")


def state_db(root: Path) -> Path:
    return root / ".syndicate" / "state.db"


def query(root: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with StateStore(state_db(root)) as store:
        return list(store.db.execute(sql, args))


def send_status(root: Path, email: str) -> list[object]:
    rows = query(
        root,
        "SELECT s.status FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
        " WHERE b.email = ? ORDER BY s.edition_id",
        email,
    )
    return [row[0] for row in rows]


# --- reading what arrived -------------------------------------------------------------


def text_part(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_part(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def unsubscribe_uris(message: EmailMessage) -> list[str]:
    return re.findall(r"<([^<>]+)>", str(message["List-Unsubscribe"]))


def subscriber_ids(root: Path) -> dict[str, int]:
    """Each subscriber's id, by address."""
    return {
        str(email): int(str(number))
        for number, email in query(root, "SELECT id, email FROM subscriber")
    }


def check_message(
    received: Received, person: Person, sections: Sequence[str], ids: Mapping[str, int]
) -> str:
    """Everything one subscriber's message must be (`ids`: each subscriber's id, which
    their unsubscribe link names); returns its Message-ID."""
    message = received.message()
    assert received.sender == f"digest@{HOST}"
    assert message["From"] == SENDER
    assert [a.addr_spec for a in message["To"].addresses] == [person.address]
    assert message["To"].addresses[0].display_name == person.name
    assert message["Subject"] and "Harbour News" in message["Subject"]
    assert parsedate_to_datetime(str(message["Date"])).tzinfo is not None
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", str(message["Message-ID"]))
    assert f"<{LIST_ID}>" in str(message["List-Id"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    uris = unsubscribe_uris(message)
    https = [u for u in uris if u.startswith("https://")]
    mailto = [u for u in uris if u.startswith("mailto:")]
    assert len(https) == 1 and len(mailto) == 1 and len(uris) == 2, uris
    assert https[0].startswith(f"https://{HOST}/unsubscribe/")
    token = https[0].rsplit("/", 1)[1]
    assert read_unsubscribe_token(SECRET, token, LIST_ID) == ids[person.address]
    assert person.address.split("@")[0] not in token
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]

    text, html = text_part(message), html_part(message)
    assert f"Hello {person.name}," in text
    assert f"Hello {person.name}," in html
    assert f"Unsubscribe: {https[0]}" in text
    assert https[0] in html
    for section in SECTIONS:
        heading = f"\n{section}\n{'=' * len(section)}\n"
        assert (heading in text) == (section in sections), (person, section)
        for n in range(STORIES):
            title = headline(section, n)
            assert (title in text) == (section in sections), (person, title)
            assert (title in html) == (section in sections), (person, title)
    # The sections come in the site's order.
    places = [text.index(f"\n{s}\n{'=' * len(s)}\n") for s in sections]
    assert places == sorted(places)
    return str(message["Message-ID"])


def arrived_once(mailbox: Mailbox, people: Sequence[Person]) -> None:
    """Each person who should have a message has exactly one; nobody else has any."""
    counts = mailbox.counts()
    wanted = {p.address for p in people if p.gets() is not None}
    assert {a for a, n in counts.items() if n != 1} == set()
    assert set(counts) == wanted


# --- retries fast enough for tests ----------------------------------------------------


@dataclass(frozen=True)
class FastRetry(RetryPolicy):
    base: float = 0.01
    cap: float = 0.05


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """`publish` and `dispatch` (and the CLI) use the default policy: make it quick."""
    monkeypatch.setattr(deliveries, "RetryPolicy", FastRetry)


def tally(report: PublishReport) -> Mapping[str, object]:
    digest = report.as_json()["digest"]
    assert isinstance(digest, dict)
    return digest
