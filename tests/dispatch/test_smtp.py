"""Digests sent to a real SMTP server (aiosmtpd on a free port of 127.0.0.1): who gets
what, exactly once, through temporary and permanent failures, dropped connections,
unsubscribes mid-run, STARTTLS, implicit TLS, login, DKIM and a rate limit."""

from __future__ import annotations

import base64
import csv
import json
import re
import ssl
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import dkim
import pytest
import trustme
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from mjml import mjml2html as compile_mjml
from typer.testing import CliRunner

from syndicate import deliveries, pipeline
from syndicate.cli import app
from syndicate.digests import render
from syndicate.dispatch.sender import RetryPolicy
from syndicate.state import StateStore
from syndicate.subscribers import SubscriberBook
from syndicate.tokens import read_unsubscribe_token
from syndicate.validate.digest_message import validate_digest_message
from tests.dispatch import smtp_server as server_helper
from tests.dispatch.smtp_server import DROP, Fault, Mailbox, Received, smtp_server
from tests.factories import markdown_record, write_site

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
            book = SubscriberBook(store)
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


def check_message(received: Received, person: Person, sections: Sequence[str]) -> str:
    """Everything one subscriber's message must be; returns its Message-ID."""
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
    assert read_unsubscribe_token(SECRET, token, LIST_ID) == person.address
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


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every MJML compilation the digest renderer does."""
    calls: list[str] = []

    def counted(mjml: str) -> str:
        calls.append(mjml)
        return str(compile_mjml(mjml))

    monkeypatch.setattr(render, "mjml2html", counted)
    yield calls


def tally(report: pipeline.PublishReport) -> Mapping[str, object]:
    digest = report.as_json()["digest"]
    assert isinstance(digest, dict)
    return digest


# --- 1. the right message to the right people, once ------------------------------------


def test_500_subscribers_each_get_their_sections_once(tmp_path: Path, compiles: list[str]) -> None:
    people = crowd(500)
    with smtp_server() as (port, mailbox):
        root = news_site(tmp_path / "site", port, connections=4)
        write_subscribers(root, people)
        started = time.monotonic()
        report = pipeline.publish(root, ENV)
        elapsed = time.monotonic() - started
        received = list(mailbox.received)

    assert not report.errors, report.errors
    recipients = [p for p in people if p.gets() is not None]
    by_address = {p.address: p for p in people}
    arrived_once(mailbox, people)
    ids = [
        check_message(r, by_address[r.recipient], by_address[r.recipient].gets() or ())
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


# --- 2. a faulty, slow server: each message still arrives once ---------------------------


def faults(
    *,
    refuse: Sequence[str] = (),
    later: Sequence[str] = (),
    drop: Sequence[str] = (),
    seen: list[tuple[str, int]] | None = None,
) -> Fault:
    """550 for `refuse` always; 451 for `later` and a dropped connection for `drop`,
    each on the first try only."""

    def fault(recipient: str, tries: int) -> str | None:
        if seen is not None:
            seen.append((recipient, tries))
        if recipient in refuse:
            return "550 5.1.1 No such user here"
        if recipient in later and tries == 1:
            return "451 4.3.0 Mailbox busy, try again later"
        if recipient in drop and tries == 1:
            return DROP
        return None

    return fault


def test_faulty_slow_server_delivers_each_message_once_and_suppresses_550s(
    tmp_path: Path,
) -> None:
    people = crowd(80, statuses=False, suppress=False)
    recipients = [p.address for p in people if p.gets() is not None]
    later, drop, refuse = recipients[3::10], recipients[5:40:12], recipients[7::17]
    assert len(later) >= 6 and len(drop) == 3 and len(refuse) == 4
    assert not set(later) & set(refuse) and not set(drop) & set(refuse)
    seen: list[tuple[str, int]] = []
    fault = faults(refuse=refuse, later=later, drop=drop, seen=seen)
    with smtp_server(fault=fault, delay=0.05) as (port, mailbox):
        root = news_site(tmp_path / "site", port, connections=4)
        write_subscribers(root, people)
        started = time.monotonic()
        report = pipeline.publish(root, ENV)
        elapsed = time.monotonic() - started
        first = mailbox.counts()

        # Everything deliverable arrived, once; the refused addresses got nothing.
        deliverable = [p for p in people if p.gets() is not None and p.address not in refuse]
        assert {a for a, n in first.items() if n != 1} == set()
        assert set(first) == {p.address for p in deliverable}
        by_address = {p.address: p for p in people}
        for r in mailbox.received:
            check_message(r, by_address[r.recipient], by_address[r.recipient].gets() or ())
        # The faults did happen: the 451s and the drops were tried again.
        tries = Counter(address for address, _ in seen)
        assert all(tries[a] >= 2 for a in [*later, *drop])

        digest = tally(report)
        assert digest["recipients"] == len(recipients)
        assert digest["sent"] == len(deliverable)
        assert digest["failed"] == len(refuse)
        assert digest["deferred"] == digest["skipped"] == 0
        assert report.delivery is not None
        failures = report.delivery.editions[0].failures
        assert sorted(f.split(":")[0] for f in failures) == sorted(refuse)
        assert all("550" in f for f in failures)
        with StateStore(state_db(root)) as store:
            book = SubscriberBook(store)
            assert book.suppressed() == set(refuse)
            status = {s.email: s.status for s in book.all()}
        assert {a for a, s in status.items() if s == "bounced"} == set(refuse)
        rows = dict(Counter(str(row[0]) for row in query(root, "SELECT status FROM send")))
        assert rows == {"sent": len(deliverable), "failed": len(refuse)}

        # Running again sends nothing more: no edition is due, nothing is queued.
        again = pipeline.publish(root, ENV)
        assert again.digest is not None and again.digest.edition is None
        assert pipeline.dispatch(root, ENV).editions == ()
        assert mailbox.counts() == first

        # A later edition (one World story): every World reader but the suppressed.
        add_story(root, "World", "World headline late")
        later_report = pipeline.publish(root, ENV)
        second = tally(later_report)
        world = [p for p in deliverable if p.gets(("World",)) is not None]
        assert second["edition"] != digest["edition"]
        assert second["sent"] == second["recipients"] == len(world)
        assert second["failed"] == 0
        counts = mailbox.counts()
    for address in refuse:
        assert address not in counts
        assert send_status(root, address) == ["failed"]  # no send row in the new edition
    assert any(by_address[a].gets(("World",)) for a in refuse)  # they would have had it
    assert counts == Counter({p.address: 1 for p in deliverable}) + Counter(
        {p.address: 1 for p in world}
    )
    print(f"faulty server: {len(deliverable)} delivered in {elapsed:.2f}s")


# --- 3. a 451 that never clears waits for the next run ----------------------------------


def test_a_451_that_never_clears_stays_queued_until_a_later_dispatch(tmp_path: Path) -> None:
    people = crowd(12, statuses=False, suppress=False)
    stuck = people[0].address
    accepting = False

    def fault(recipient: str, tries: int) -> str | None:
        if recipient == stuck and not accepting:
            return "451 4.7.1 Greylisted, come back later"
        return None

    runner = CliRunner()
    with smtp_server(fault=fault) as (port, mailbox):
        root = news_site(tmp_path / "site", port)
        write_subscribers(root, people)
        report = pipeline.publish(root, ENV)
        digest = tally(report)
        others = {p.address for p in people if p.gets() is not None} - {stuck}
        assert digest["deferred"] == 1
        assert digest["sent"] == len(others)
        assert digest["failed"] == 0
        assert report.delivery is not None and report.delivery.problems
        assert mailbox.tries[stuck] == RetryPolicy().attempts
        assert send_status(root, stuck) == ["queued"]
        assert stuck not in mailbox.counts()
        with StateStore(state_db(root)) as store:
            assert SubscriberBook(store).suppressed() == set()

        # `syndicate dispatch` tries again, fails again: exit status 1, still queued.
        result = runner.invoke(app, ["dispatch", str(root), "--json"], env=ENV)
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        printed = json.loads(result.stdout)
        assert printed["deferred"] == 1 and printed["sent"] == len(others)
        assert send_status(root, stuck) == ["queued"]

        # The server takes it now: one more dispatch delivers it, once.
        accepting = True
        delivered = pipeline.dispatch(root, ENV)
        assert delivered.as_json()["sent"] == len(others) + 1
        assert delivered.as_json()["deferred"] == 0
        assert not delivered.problems
        result = runner.invoke(app, ["dispatch", str(root), "--json"], env=ENV)
        assert result.exit_code == 0, result.output
        counts = mailbox.counts()
    assert counts[stuck] == 1
    assert counts == Counter({a: 1 for a in [*others, stuck]})
    assert send_status(root, stuck) == ["sent"]


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
                left.append(SubscriberBook(store).set_status(leaver, "unsubscribed"))
        return None

    with smtp_server(fault=fault) as (port, mailbox):
        news_site(root, port, connections=2)
        write_subscribers(root, people)
        report = pipeline.publish(root, ENV)
        counts = mailbox.counts()
    assert left == [True]
    assert leaver not in counts
    assert counts == Counter({a: 1 for a in recipients if a != leaver})
    digest = tally(report)
    assert digest["recipients"] == len(recipients)
    assert digest["skipped"] == 1
    assert digest["sent"] == len(recipients) - 1
    assert send_status(root, leaver) == ["skipped"]


# --- 5. STARTTLS, implicit TLS and login ------------------------------------------------


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A server context with a certificate for 127.0.0.1 from a CA made here, which
    clients trust through SSL_CERT_FILE (ssl.create_default_context reads it)."""
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return context


LOGIN = ("mailer", "correct horse battery staple")


# aiosmtpd counts only STARTTLS as TLS for `auth_require_tls`, which smtp_server sets
# whenever it has TLS: over implicit TLS it never offers AUTH, so that case goes without.
@pytest.mark.parametrize(("security", "login"), [("starttls", LOGIN), ("tls", None)])
def test_tls_delivers(
    tmp_path: Path, tls: ssl.SSLContext, security: str, login: tuple[str, str] | None
) -> None:
    people = crowd(20, statuses=False, suppress=False)
    implicit = security == "tls"
    extra = f'username = "{login[0]}"\n' if login else ""
    env = {**ENV, "SYNDICATE_SMTP_PASSWORD": login[1]} if login else ENV
    with smtp_server(tls=tls, implicit_tls=implicit, login=login) as (port, mailbox):
        root = news_site(tmp_path / "site", port, security=security, extra=extra)
        write_subscribers(root, people)
        report = pipeline.publish(root, env)
        arrived_once(mailbox, people)
        received = list(mailbox.received)
    # The server takes no MAIL before STARTTLS (require_starttls) nor before AUTH, and
    # speaks nothing but TLS when implicit: that messages arrived proves both were used.
    digest = tally(report)
    assert digest["sent"] == digest["recipients"] == len(received) > 0
    by_address = {p.address: p for p in people}
    for r in received:
        check_message(r, by_address[r.recipient], by_address[r.recipient].gets() or ())


def test_starttls_with_an_untrusted_certificate_sends_nothing(tmp_path: Path) -> None:
    # A certificate from a CA the client was never told about.
    stranger = trustme.CA().issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    stranger.configure_cert(context)
    people = crowd(5, statuses=False, suppress=False)
    with smtp_server(tls=context) as (port, mailbox):
        root = news_site(tmp_path / "site", port, security="starttls")
        write_subscribers(root, people)
        report = pipeline.publish(root, ENV)
        assert mailbox.received == []
    digest = tally(report)
    assert digest["sent"] == 0
    assert digest["deferred"] == digest["recipients"]  # left for a run that can connect
    with StateStore(state_db(root)) as store:
        assert SubscriberBook(store).suppressed() == set()


def test_a_wrong_password_fails_clearly(tmp_path: Path, tls: ssl.SSLContext) -> None:
    people = crowd(6, statuses=False, suppress=False)
    env = {**ENV, "SYNDICATE_SMTP_PASSWORD": "wrong", "COLUMNS": "200"}
    with smtp_server(tls=tls, login=LOGIN) as (port, mailbox):
        root = news_site(
            tmp_path / "site", port, security="starttls", extra=f'username = "{LOGIN[0]}"\n'
        )
        write_subscribers(root, people)
        result = CliRunner().invoke(app, ["publish", str(root)], env=env)
        assert mailbox.received == []
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # an exit status, not an exception
    assert "Traceback" not in result.output
    assert "login refused: 535" in result.stderr
    with StateStore(state_db(root)) as store:
        sent = store.db.execute("SELECT COUNT(*) FROM send WHERE status = 'sent'").fetchone()
    assert sent == (0,)


def test_a_wrong_password_leaves_subscribers_alone_and_sends_queued(
    tmp_path: Path, tls: ssl.SSLContext
) -> None:
    people = crowd(6, statuses=False, suppress=False)
    env = {**ENV, "SYNDICATE_SMTP_PASSWORD": "wrong"}
    with smtp_server(tls=tls, login=LOGIN) as (port, _):
        root = news_site(
            tmp_path / "site", port, security="starttls", extra=f'username = "{LOGIN[0]}"\n'
        )
        write_subscribers(root, people)
        report = pipeline.publish(root, env)
    digest = tally(report)
    with StateStore(state_db(root)) as store:
        book = SubscriberBook(store)
        suppressed, statuses = book.suppressed(), {s.status for s in book.all()}
    # The site's own configuration is wrong, not the subscribers' addresses: fixing
    # the password and running `syndicate dispatch` must still reach them.
    assert suppressed == set()
    assert statuses == {"active"}
    assert digest["failed"] == 0
    assert digest["deferred"] == digest["recipients"]


@pytest.mark.parametrize("refusal", ["starttls required", "auth required"])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_server_refusing_the_session_does_not_bounce_subscribers(
    tmp_path: Path, tls: ssl.SSLContext, refusal: str
) -> None:
    people = crowd(4, statuses=False, suppress=False)
    # security = "none" where the server wants STARTTLS first (530 at MAIL FROM), or
    # no username where it wants AUTH first (530 5.7.0 at MAIL FROM).
    server = {"tls": tls} if refusal == "starttls required" else {"login": LOGIN}
    with smtp_server(**server) as (port, mailbox):
        root = news_site(tmp_path / "site", port, security="none")
        write_subscribers(root, people)
        report = pipeline.publish(root, ENV)
        assert mailbox.received == []
    digest = tally(report)
    with StateStore(state_db(root)) as store:
        assert SubscriberBook(store).suppressed() == set()
    assert digest["failed"] == 0
    assert digest["deferred"] == digest["recipients"]


def test_8bit_messages_are_declared_8bitmime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared: list[list[str]] = []

    class Recording(server_helper.Handler):
        async def handle_MAIL(
            self,
            server: SMTP,
            session: Session,
            envelope: Envelope,
            address: str,
            options: list[str],
        ) -> str:
            declared.append(list(options))
            envelope.mail_from, envelope.mail_options = address, list(options)
            return "250 OK"

    monkeypatch.setattr(server_helper, "Handler", Recording)
    people = crowd(3, statuses=False, suppress=False)
    with smtp_server() as (port, mailbox):
        root = news_site(tmp_path / "site", port)
        write_subscribers(root, people)
        pipeline.publish(root, ENV)
        received = list(mailbox.received)
    assert received and all(re.search(rb"[\x80-\xff]", r.content) for r in received)
    assert len(declared) == len(received)
    assert all("BODY=8BITMIME" in options for options in declared), declared


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
        report = pipeline.publish(root, {**ENV, "SYNDICATE_DKIM_KEY": str(pem)})
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
        report = pipeline.publish(root, ENV)
        arrived_once(mailbox, people)
    assert tally(report)["sent"] == 20
    spread = max(stamps) - min(stamps)
    # 20 messages at 20 a second: the last goes 19/20 s after the first.
    assert spread >= 0.9, spread
    print(f"rate 20/s: 20 messages over {spread:.2f}s")
