"""The SMTP session: STARTTLS, implicit TLS, login, a refused session, BODY=8BITMIME."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import pytest
import trustme
from aiosmtpd.smtp import SMTP, Envelope, Session
from typer.testing import CliRunner

from syndicate import api
from syndicate._store.store import StateStore
from syndicate.cli import app
from tests.mail import smtp_server as server_helper
from tests.mail.smtp_server import smtp_server
from tests.mail.smtp_site import (
    ENV,
    HOST,
    arrived_once,
    check_message,
    crowd,
    fast_retries,  # noqa: F401 (an autouse fixture)
    news_site,
    state_db,
    subscriber_ids,
    tally,
    write_subscribers,
)

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
        report = api.publish(root, env)
        arrived_once(mailbox, people)
        received = list(mailbox.received)
    # The server takes no MAIL before STARTTLS (require_starttls) nor before AUTH, and
    # speaks nothing but TLS when implicit: that messages arrived proves both were used.
    digest = tally(report)
    assert digest["sent"] == digest["recipients"] == len(received) > 0
    by_address = {p.address: p for p in people}
    ids_of = subscriber_ids(root)
    for r in received:
        check_message(r, by_address[r.recipient], by_address[r.recipient].gets() or (), ids_of)


def test_starttls_with_an_untrusted_certificate_sends_nothing(tmp_path: Path) -> None:
    # A certificate from a CA the client was never told about.
    stranger = trustme.CA().issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    stranger.configure_cert(context)
    people = crowd(5, statuses=False, suppress=False)
    with smtp_server(tls=context) as (port, mailbox):
        root = news_site(tmp_path / "site", port, security="starttls")
        write_subscribers(root, people)
        report = api.publish(root, ENV)
        assert mailbox.received == []
    digest = tally(report)
    assert digest["sent"] == 0
    assert digest["deferred"] == digest["recipients"]  # left for a run that can connect
    with StateStore(state_db(root)) as store:
        assert store.subscribers.suppressed() == set()


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
        report = api.publish(root, env)
    digest = tally(report)
    with StateStore(state_db(root)) as store:
        book = store.subscribers
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
        report = api.publish(root, ENV)
        assert mailbox.received == []
    digest = tally(report)
    with StateStore(state_db(root)) as store:
        assert store.subscribers.suppressed() == set()
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
        api.publish(root, ENV)
        received = list(mailbox.received)
    assert received and all(re.search(rb"[\x80-\xff]", r.content) for r in received)
    assert len(declared) == len(received)
    assert all("BODY=8BITMIME" in options for options in declared), declared


def test_no_real_mail_goes_out_while_every_link_points_at_localhost(tmp_path: Path) -> None:
    with smtp_server() as (port, mailbox):
        root = news_site(tmp_path / "site", port)
        config = root / "syndicate.toml"
        text = config.read_text("utf-8")
        config.write_text(text.replace(f'base_url = "https://{HOST}/"\n', ""), "utf-8")
        write_subscribers(root, crowd(3, statuses=False, suppress=False))
        for command in ("publish", "dispatch"):
            result = CliRunner().invoke(app, [command, str(root)], env=ENV)
            assert result.exit_code == 2, result.stderr
            assert result.stderr.count("error:") == 1 and "site.base_url" in result.stderr
        assert mailbox.received == []
        assert not (root / "feeds").exists()  # refused before anything was published
