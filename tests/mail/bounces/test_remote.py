"""`syndicate bounces DIR` with no PATH: the [bounces] mailbox, read from a real Dovecot
over IMAP or POP3 with TLS; what was stored is moved (IMAP) or deleted (POP3), what
could not be read stays."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syndicate.cli import app
from tests.commands import runner
from tests.mail.bounces import reports
from tests.mail.bounces.dovecot import PASSWORD, Dovecot, dovecot
from tests.sites import HEADER, site

# Nested too deeply to read as mail: a problem line, and it stays in the mailbox.
JUNK = b"Subject: deep\r\n" + b"".join(
    f"Content-Type: multipart/mixed; boundary=b{n}\r\n\r\n--b{n}\r\n".encode() for n in range(1200)
)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dovecot]:
    with dovecot() as running:
        monkeypatch.setenv("SSL_CERT_FILE", str(running.ca))  # the test CA, as a system's
        yield running


def site_reading(root: Path, url: str) -> Path:
    site(
        root,
        config=f'[site]\nbase_url = "https://news.example.com/"\n\n[bounces]\nmailbox = "{url}"\n',
    )
    (root / "people.csv").write_text(HEADER + "ana.rocha@example.net,Ana,,active\n", "utf-8")
    result = runner.invoke(
        app,
        ["subscribers", "import", str(root / "people.csv"), "--dir", str(root)],
    )
    assert result.exit_code == 0, result.stderr
    return root


def read(root: Path, password: str = PASSWORD) -> tuple[int, dict[str, Any], str]:
    result = runner.invoke(
        app,
        ["bounces", str(root), "--json"],
        env={"SYNDICATE_BOUNCE_PASSWORD": password},
    )
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}, result.stderr


@pytest.mark.parametrize("scheme", ["imaps", "imap"])
def test_imap_reports_are_read_once_and_moved_and_junk_stays(
    tmp_path: Path, server: Dovecot, scheme: str
) -> None:
    server.deliver(reports.postfix_dsn(), reports.qmail_text(), JUNK)
    root = site_reading(tmp_path / "site", server.url(scheme))
    code, run, err = read(root)
    assert code == 1, err  # the junk could not be read
    assert [(e["recipient"], e["kind"]) for e in run["events"]] == [
        ("ana.rocha@example.net", "hard"),
        ("cy.okafor@example.com", "soft"),
    ]
    assert all(e["source"].startswith(f"{server.url(scheme)}:") for e in run["events"])
    assert len(run["problems"]) == 1
    assert server.folder_messages() == 1  # the junk, for a person to look at
    assert server.folder_messages("Processed") == 2
    code, again, _ = read(root)
    assert again["events"] == [] and again["messages"] == 1


@pytest.mark.parametrize("scheme", ["pop3s", "pop3"])
def test_pop3_reports_are_deleted_once_stored_and_junk_stays(
    tmp_path: Path, server: Dovecot, scheme: str
) -> None:
    server.deliver(reports.postfix_dsn(), JUNK)
    root = site_reading(tmp_path / "site", server.url(scheme))
    code, run, _ = read(root)
    assert code == 1
    assert [e["recipient"] for e in run["events"]] == ["ana.rocha@example.net"]
    assert server.folder_messages() == 1


def test_a_refused_login_is_one_line_and_reads_nothing(tmp_path: Path, server: Dovecot) -> None:
    server.deliver(reports.postfix_dsn())
    root = site_reading(tmp_path / "site", server.url("imaps"))
    code, run, err = read(root, "not the password")
    assert code == 2 and run == {}
    assert err.count("error:") == 1 and "Traceback" not in err
    assert server.folder_messages() == 1


def test_a_server_without_starttls_never_gets_the_password(tmp_path: Path) -> None:
    with dovecot(tls=False) as plain:
        plain.deliver(reports.postfix_dsn())
        for scheme in ("imap", "pop3"):
            root = site_reading(tmp_path / scheme, plain.url(scheme))
            code, _, err = read(root)
            assert code == 2 and "never sent in clear" in err, err
        assert "Login: user" not in (plain.folder / "dovecot.log").read_text()
        assert plain.folder_messages() == 1


def test_the_mailbox_needs_its_password(tmp_path: Path, server: Dovecot) -> None:
    root = site_reading(tmp_path / "site", server.url("imaps"))
    result = runner.invoke(app, ["bounces", str(root)], env={})
    assert result.exit_code == 2 and "SYNDICATE_BOUNCE_PASSWORD" in result.stderr
