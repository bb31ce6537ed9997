"""`syndicate bounces`: reports read from files, Maildirs, mbox files and standard input,
each once, and what each event does to its subscriber."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path
from typing import Any

from syndicate._store.bounces import BounceEvent, SoftRule
from syndicate._store.store import StateStore
from syndicate.paths import SitePaths
from tests.commands import invoke, listed, runner
from tests.mail.bounces import reports
from tests.sites import HEADER, site

PEOPLE = {
    "ana.rocha@example.net": "Ana Rocha",
    "bo.lindqvist@example.org": "Bo Lindqvist",
    "cy.okafor@example.com": "Cy Okafor",
    "hal.ng@example.com": "Hal Ng",
    "ida.park@example.com": "Ida Park",
}


def subscribed(root: Path) -> Path:
    site(root)
    rows = "".join(f"{email},{name},,active\n" for email, name in PEOPLE.items())
    (root / "people.csv").write_text(HEADER + rows, "utf-8")
    code, _, err = invoke("subscribers", "import", str(root / "people.csv"), "--dir", str(root))
    assert code == 0, err
    return root


def bounces(root: Path, *paths: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = invoke("bounces", str(root), *paths, "--json")
    return code, json.loads(out), err


def write(folder: Path, name: str, content: bytes) -> str:
    path = folder / name
    path.write_bytes(content)
    return str(path)


def test_hard_bounces_and_complaints_suppress_soft_and_auto_replies_do_not(
    tmp_path: Path,
) -> None:
    root = subscribed(tmp_path / "site")
    files = [
        write(tmp_path, "hard.eml", reports.postfix_dsn()),
        write(tmp_path, "soft.eml", reports.qmail_text()),
        write(tmp_path, "complaint.eml", reports.arf_complaint()),
        write(tmp_path, "away.eml", reports.vacation_reply()),
        write(tmp_path, "stranger.eml", reports.exim_text("nobody.here@example.org")),
        write(tmp_path, "reply.eml", reports.personal_reply()),
    ]
    code, run, err = bounces(root, *files)
    assert code == 0, err
    assert (run["messages"], run["reports"], run["not_reports"], run["already_seen"]) == (
        6, 5, 1, 0,
    )  # fmt: skip
    assert run["problems"] == []
    assert [(e["source"], e["recipient"], e["kind"], e["subscriber"]) for e in run["events"]] == [
        (files[0], "ana.rocha@example.net", "hard", "bounced"),
        (files[1], "cy.okafor@example.com", "soft", "active"),
        (files[2], "hal.ng@example.com", "complaint", "unsubscribed"),
        (files[3], "ida.park@example.com", "auto-reply", "active"),
        (files[4], "nobody.here@example.org", "hard", None),
    ]
    people = listed(root)
    assert people["ana.rocha@example.net"]["suppressed"]
    assert people["hal.ng@example.com"]["suppressed"]
    assert not people["cy.okafor@example.com"]["suppressed"]
    assert not people["ida.park@example.com"]["suppressed"]


def test_a_message_is_read_once(tmp_path: Path) -> None:
    root = subscribed(tmp_path / "site")
    path = write(tmp_path, "hard.eml", reports.postfix_dsn())
    bounces(root, path)
    code, run, _ = bounces(root, path)
    assert code == 0 and run["already_seen"] == 1 and run["events"] == []
    with StateStore(SitePaths(root).state_db) as store:
        [subscriber] = [s for s in store.subscribers.all() if s.email == "ana.rocha@example.net"]
        assert len(store.bounces.history(subscriber.id)) == 1


def test_a_complaint_keeps_them_out_of_every_later_import(tmp_path: Path) -> None:
    root = subscribed(tmp_path / "site")
    bounces(root, write(tmp_path, "complaint.eml", reports.arf_complaint()))
    again = tmp_path / "again.csv"
    again.write_text(HEADER + "hal.ng@example.com,Hal Ng,,active\n", "utf-8")
    invoke("subscribers", "import", str(again), "--dir", str(root), "--resubscribe")
    assert listed(root)["hal.ng@example.com"]["suppressed"]


def test_maildir_mbox_and_standard_input_name_each_message(tmp_path: Path) -> None:
    root = subscribed(tmp_path / "site")
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    key = box.add(reports.postfix_dsn())
    mbox = mailbox.mbox(tmp_path / "reports.mbox", create=True)
    mbox.add(reports.exim_text())
    mbox.add(reports.qmail_text())
    mbox.flush()
    code, run, err = bounces(root, str(tmp_path / "Maildir"), str(tmp_path / "reports.mbox"))
    assert code == 0, err
    assert [e["source"] for e in run["events"]] == [
        f"{tmp_path / 'Maildir'}:{key}",
        f"{tmp_path / 'reports.mbox'}:0",
        f"{tmp_path / 'reports.mbox'}:1",
    ]
    result = runner.invoke(
        __import__("syndicate.cli", fromlist=["app"]).app,
        ["bounces", str(root), "-", "--json"],
        input=reports.arf_complaint(),
    )
    assert result.exit_code == 0, result.stderr
    assert [e["source"] for e in json.loads(result.stdout)["events"]] == ["-:1"]


def test_what_cannot_be_read_is_one_line_each_and_the_rest_is_read(tmp_path: Path) -> None:
    root = subscribed(tmp_path / "site")
    nested = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + b"--x\r\n" * 3
    deep = b"".join(
        f"Content-Type: multipart/mixed; boundary=b{n}\r\n\r\n--b{n}\r\n".encode()
        for n in range(1200)
    )
    files = [
        write(tmp_path, "junk.bin", bytes(range(256)) * 40),
        write(tmp_path, "truncated.eml", reports.postfix_dsn()[:700]),
        write(tmp_path, "nested.eml", nested),
        write(tmp_path, "deep.eml", deep),
        str(tmp_path / "missing.eml"),
        write(tmp_path, "hard.eml", reports.postfix_dsn()),
    ]
    code, run, err = bounces(root, *files)
    assert "Traceback" not in err
    assert code == 1  # some could not be read
    assert [p["source"] for p in run["problems"]] == [files[3], files[4]]
    assert run["events"][-1]["recipient"] == "ana.rocha@example.net"
    assert listed(root)["ana.rocha@example.net"]["status"] == "bounced"


def test_a_dsn_naming_ten_thousand_recipients_is_read(tmp_path: Path) -> None:
    blocks = "".join(
        f"Final-Recipient: rfc822; reader{n}@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        for n in range(10_000)
    )
    message = reports.postfix_dsn().replace(
        b"Final-Recipient: rfc822; ana.rocha@example.net",
        blocks.encode() + b"Final-Recipient: rfc822; ana.rocha@example.net",
    )
    root = subscribed(tmp_path / "site")
    code, run, _ = bounces(root, write(tmp_path, "many.eml", message))
    assert code == 0 and len(run["events"]) == 10_001


def test_soft_bounces_make_an_address_bounced_at_the_limit(tmp_path: Path) -> None:
    root = subscribed(tmp_path / "site")
    rule = SoftRule(limit=3)
    with StateStore(SitePaths(root).state_db) as store:
        statuses = [
            store.bounces.record(
                f"report {n}", [BounceEvent("cy.okafor@example.com", "soft")], rule=rule
            )
            for n in range(3)
        ]
    assert statuses == [["active"], ["active"], ["bounced"]]
    assert listed(root)["cy.okafor@example.com"]["suppressed"]


def test_a_subscriber_is_shown_with_what_came_back_about_them(tmp_path: Path) -> None:
    root = subscribed(tmp_path / "site")
    path = write(tmp_path, "hard.eml", reports.postfix_dsn())
    bounces(root, path)
    code, out, _ = invoke(
        "subscribers", "show", "Ana.Rocha@Example.net", "--json", "--dir", str(root)
    )
    assert code == 0
    shown = json.loads(out)
    assert (shown["email"], shown["name"], shown["status"]) == (
        "ana.rocha@example.net", "Ana Rocha", "bounced",
    )  # fmt: skip
    [event] = shown["events"]
    assert (event["kind"], event["status"], event["source"], event["edition"]) == (
        "hard", "5.1.1", path, "2026-12-06",
    )  # fmt: skip
    assert set(shown) == {
        *("email", "name", "status", "sections", "language", "created", "updated", "events")
    }
    code, _, err = invoke("subscribers", "show", "no.one@example.com", "--dir", str(root))
    assert code == 1 and "no such subscriber" in err


def test_bounces_needs_a_place_to_read(tmp_path: Path) -> None:
    root = subscribed(tmp_path / "site")
    code, _, err = invoke("bounces", str(root))
    assert code == 2 and "PATH" in err and "Traceback" not in err
