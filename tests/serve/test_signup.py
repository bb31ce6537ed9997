"""Sign-up when the confirmation cannot go out: an SMTP server that refuses our login,
an SMTP port with nothing listening, an outbox that cannot be written or synced, and a
connection that fails to close after the message went. Whatever happens, the person
signing up gets the usual answer, the server log one line with the cause and no
traceback, and the address stays pending, so that asking again once the fault is
fixed brings a confirmation that works."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import stat
import time
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlencode

import aiosmtplib
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from syndicate.config import load_config
from syndicate.mail.outbox import Outbox
from syndicate.mail.smtp import SmtpConnection
from syndicate.serve import create_app
from tests.mail.smtp_server import smtp_server
from tests.serve.published import ENV, app_for, confirm_url, confirmations, path_of, statuses
from tests.serve.server import free_port
from tests.serve.test_uvicorn import FORM, serve_command

ADDRESS = "nell.quarry@example.net"
LOGIN = ("mailer", "correct horse battery staple")
CHECK_YOUR_INBOX = "Check your inbox"


def sign_up(client: TestClient) -> str:
    """The answer's page; TestClient raises whatever the app let escape, background
    task included, so a returned page means no exception reached the server."""
    response = client.post("/subscribe", data={"email": ADDRESS, "name": "Nell Quarry"})
    assert response.status_code == 200 and CHECK_YOUR_INBOX in response.text
    return response.text


def signs_up_quietly(client: TestClient, site: Path, caplog: pytest.LogCaptureFixture) -> str:
    """Sign up through a failing backend: the usual page, still pending, and exactly one
    warning (no traceback); returns the warning's text."""
    caplog.clear()
    with caplog.at_level(logging.INFO):
        sign_up(client)
    assert statuses(site)[ADDRESS] == "pending"
    assert all(record.exc_info is None for record in caplog.records)
    (warning,) = warnings(caplog)
    assert warning.levelno == logging.WARNING and warning.name.startswith("syndicate.serve")
    text = warning.getMessage()
    assert ADDRESS in text and "not sent" in text
    return text


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Ours, and those of the web server (aiosmtpd's own are its business)."""
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith(("syndicate", "uvicorn"))
    ]


def confirms(app: Starlette, site: Path, message: EmailMessage) -> None:
    with TestClient(app) as client:
        assert client.post(path_of(confirm_url(message))).status_code == 200
    assert statuses(site)[ADDRESS] == "active"


def use_smtp(site: Path) -> None:
    config = site / "syndicate.toml"
    text = config.read_text("utf-8")
    assert 'backend = "outbox"' in text
    config.write_text(text.replace('backend = "outbox"', 'backend = "smtp"'), "utf-8")


def smtp_app(site: Path, port: int, password: str | None = None) -> Starlette:
    """The site's app sending through 127.0.0.1:`port` (with our login, if a password)."""
    env = {
        **ENV,
        "SYNDICATE_SMTP_HOST": "127.0.0.1",
        "SYNDICATE_SMTP_PORT": str(port),
        "SYNDICATE_SMTP_SECURITY": "none",
    }
    if password is not None:
        env.update(SYNDICATE_SMTP_USERNAME=LOGIN[0], SYNDICATE_SMTP_PASSWORD=password)
    return create_app(load_config(site, env))


# --- SMTP -------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_an_smtp_server_refusing_our_login(site: Path, caplog: pytest.LogCaptureFixture) -> None:
    use_smtp(site)
    with smtp_server(login=LOGIN) as (port, mailbox):
        with TestClient(smtp_app(site, port, "wrong")) as client:
            warning = signs_up_quietly(client, site, caplog)
        assert "login refused: 535" in warning
        assert mailbox.received == []
        with TestClient(smtp_app(site, port, LOGIN[1])) as client:
            sign_up(client)
        (received,) = mailbox.for_(ADDRESS)
    confirms(app_for(site), site, received.message())


def test_an_smtp_port_with_nothing_listening(site: Path, caplog: pytest.LogCaptureFixture) -> None:
    use_smtp(site)
    port = free_port()
    with TestClient(smtp_app(site, port)) as client:
        warning = signs_up_quietly(client, site, caplog)
    assert f"cannot connect to 127.0.0.1:{port}" in warning
    with smtp_server() as (port, mailbox):
        with TestClient(smtp_app(site, port)) as client:
            sign_up(client)
        (received,) = mailbox.for_(ADDRESS)
    confirms(app_for(site), site, received.message())


# --- the outbox -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocker", "cause"),
    [("a file", "Not a directory"), ("a dangling symlink", "File exists")],
)
def test_an_outbox_that_cannot_be_written(
    site: Path, caplog: pytest.LogCaptureFixture, blocker: str, cause: str
) -> None:
    outbox = site / "outbox"
    shutil.rmtree(outbox)
    if blocker == "a file":  # Maildir takes it for a mailbox; its cur/ is not there
        outbox.write_text("not a folder\n", "utf-8")
    else:  # not there, so Maildir creates it, and mkdir fails
        outbox.symlink_to(site / "nowhere")
    app = app_for(site)
    with TestClient(app) as client:
        page = sign_up(client)  # a sign-up that fails is told nothing different
        assert "outbox" in signs_up_quietly(client, site, caplog)
    assert cause in caplog.text
    outbox.unlink()
    with TestClient(app) as client:
        assert sign_up(client) == page
    (message,) = confirmations(site, ADDRESS)
    confirms(app, site, message)


@pytest.mark.parametrize(
    ("failing", "cause"),
    [("every fsync", "cannot write to the outbox"), ("the fsync of new/", "cannot sync")],
)
def test_an_outbox_that_cannot_be_synced(
    site: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
    cause: str,
) -> None:
    real = os.fsync

    def fsync(descriptor: int) -> None:
        if failing == "every fsync" or stat.S_ISDIR(os.fstat(descriptor).st_mode):
            raise OSError(errno.EIO, "Input/output error")
        real(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    app = app_for(site)
    with TestClient(app) as client:
        warning = signs_up_quietly(client, site, caplog)
        assert cause in warning and "Input/output error" in warning
        monkeypatch.undo()
        sign_up(client)
    # A message whose folder was not synced may be there: in doubt, sent again.
    *_, message = confirmations(site, ADDRESS)
    confirms(app, site, message)


# --- closing ----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["outbox", "smtp"])
def test_a_close_that_fails_after_delivery_is_still_a_sent_message(
    site: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    async def close(self: object) -> None:
        if backend == "outbox":
            raise OSError(errno.EIO, "Input/output error")
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")

    monkeypatch.setattr(Outbox if backend == "outbox" else SmtpConnection, "close", close)
    with smtp_server() as (port, mailbox):
        if backend == "smtp":
            use_smtp(site)
        with TestClient(smtp_app(site, port)) as client, caplog.at_level(logging.INFO):
            sign_up(client)
        received = [r.message() for r in mailbox.for_(ADDRESS)]
    sent = received if backend == "smtp" else confirmations(site, ADDRESS)
    assert len(sent) == 1
    assert warnings(caplog) == []
    assert "not sent" not in caplog.text and "closing" in caplog.text
    confirms(app_for(site), site, sent[0])


# --- the real command -------------------------------------------------------------------


def test_the_serve_command_logs_one_line_for_a_confirmation_not_sent(
    site: Path, tmp_path: Path
) -> None:
    use_smtp(site)
    port, smtp_port = free_port(), free_port()
    smtp = {"SYNDICATE_SMTP_HOST": "127.0.0.1", "SYNDICATE_SMTP_PORT": str(smtp_port)}
    with serve_command(site, port, {**smtp, "SYNDICATE_SMTP_SECURITY": "none"}) as run:
        fields = urlencode({"email": ADDRESS, "name": "Nell Quarry"})
        status, _, body = run.first("POST", "/subscribe", FORM, fields)
        assert status == 200 and CHECK_YOUR_INBOX.encode() in body
        time.sleep(0.5)  # the message goes out (or not) after the answer
    errors = run.errors
    assert "Traceback" not in errors and "Exception in ASGI application" not in errors
    (line,) = [line for line in errors.splitlines() if ADDRESS in line]
    assert "not sent" in line and f"cannot connect to 127.0.0.1:{smtp_port}" in line
    assert statuses(site)[ADDRESS] == "pending"
