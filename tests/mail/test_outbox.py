"""The outbox backend (a Maildir, the default): who gets what, never twice; the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from syndicate import api
from syndicate.cli import app
from syndicate.mail.tokens import read_unsubscribe_token
from tests.mail.outbox_site import (
    GETS,
    digest_site,
    files_of,
    new_files,
    outbox,
    publish_without_sending,
    recipient,
    sections_in,
    sql,
    subscriber_ids,
    text_part,
)

runner = CliRunner()


EDITION_KEYS = ("edition", "recipients", "sent", "failed", "deferred", "skipped", "resent_in_doubt")


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


# -- who gets what ----------------------------------------------------------------------


def test_each_active_subscriber_gets_one_message_of_their_sections(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    report = api.publish(root, {})
    assert report.digest is not None and report.digest.edition is not None
    edition = report.digest.edition.edition_id
    ids = subscriber_ids(root)
    names = new_files(root)
    assert len(names) == len(GETS)
    for address in GETS:
        assert len(files_of(names, edition, ids[address])) == 1, address
    for address in ("left@", "bounced@", "pending@", "suppressed@"):
        assert not files_of(names, edition, ids[f"{address}example.com"]), address
    key = (root / ".syndicate" / "secret-key").read_text().strip()
    got = {}
    for file_key, message in outbox(root):
        address = recipient(message)
        assert file_key.startswith(f"{edition}.{ids[address]}.")
        got[address] = sections_in(message)
        # Their own greeting and their own unsubscribe link, nobody else's.
        name = str(message["To"]).split(" <")[0].strip('"').replace("\\", "")
        assert f"Hello {name}," in text_part(message)
        token = re.search(r"/unsubscribe/([A-Za-z0-9._-]+)", text_part(message))
        assert token is not None
        assert (
            read_unsubscribe_token(key, token.group(1), "digest.news.example.com") == ids[address]
        )
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got == GETS
    tally = report.delivery.tally(edition) if report.delivery else None
    assert tally is not None
    assert (tally.recipients, tally.sent, tally.failed, tally.deferred) == (5, 5, 0, 0)


def test_publishing_again_sends_nothing_more(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    api.publish(root, {})
    before = {p.name: p.stat().st_mtime_ns for p in (root / "outbox" / "new").iterdir()}
    again = api.publish(root, {})
    assert again.digest is not None and again.digest.edition is None  # nothing new
    assert again.delivery is not None and again.delivery.editions == ()
    assert api.dispatch(root, {}).editions == ()
    assert {p.name: p.stat().st_mtime_ns for p in (root / "outbox" / "new").iterdir()} == before
    assert sql(root, "SELECT status, COUNT(*) FROM send GROUP BY status") == [("sent", 5)]


def test_a_message_a_mail_client_moved_to_cur_is_not_written_again(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    report = api.publish(root, {})
    assert report.digest is not None and report.digest.edition is not None
    edition = report.digest.edition.edition_id
    who = subscriber_ids(root)["world@example.com"]
    [name] = files_of(new_files(root), edition, who)
    read = root / "outbox" / "cur" / f"{name}:2,S"
    (root / "outbox" / "new" / name).rename(read)  # the mail client has read it
    # The ledger sends it again (it was left 'sending', or someone re-queued it).
    sql(
        root,
        "UPDATE send SET status = 'sending' WHERE edition_id = ? AND subscriber_id = ?",
        edition,
        who,
    )
    delivery = api.dispatch(root, {})
    [tally] = delivery.editions
    assert (tally.sent, tally.in_doubt) == (5, 1)
    assert name not in new_files(root)
    assert sorted(p.name for p in (root / "outbox" / "cur").iterdir()) == [read.name]
    assert len(list(outbox(root))) == 5
    assert sql(
        root,
        "SELECT status, detail FROM send WHERE edition_id = ? AND subscriber_id = ?",
        edition,
        who,
    ) == [("sent", "already in the outbox")]


# -- the command line -------------------------------------------------------------------


def test_dispatch_json_when_nothing_is_queued(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    code, out, _ = invoke("dispatch", str(root), "--json")
    assert code == 0
    report = json.loads(out)
    assert {key: report[key] for key in ("backend", "editions", "sent", "failed", "deferred")} == {
        "backend": "outbox", "editions": [], "sent": 0, "failed": 0, "deferred": 0,
    }  # fmt: skip
    assert invoke("publish", str(root), "--quiet")[0] == 0
    code, out, _ = invoke("dispatch", str(root), "--json")
    assert (code, json.loads(out)["editions"]) == (0, [])
    code, out, _ = invoke("dispatch", str(root))
    assert (code, out.strip()) == (0, "Sending: nothing queued.")


def test_dispatch_json_reports_what_a_killed_run_left(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    publish_without_sending(root)
    assert new_files(root) == []
    [(edition,)] = sql(root, "SELECT edition_id FROM edition")
    code, out, _ = invoke("dispatch", str(root), "--json")
    assert code == 0
    report = json.loads(out)
    [tally] = report["editions"]
    assert {key: tally[key] for key in EDITION_KEYS} == {
        "edition": edition, "recipients": 5, "sent": 5, "failed": 0, "deferred": 0,
        "skipped": 0, "resent_in_doubt": 0,
    }  # fmt: skip
    assert (report["sent"], report["failed"], report["deferred"]) == (5, 0, 0)


def test_publish_json_digest_object(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    code, out, _ = invoke("publish", str(root), "--json")
    assert code == 0
    digest = json.loads(out)["digest"]
    assert {"edition", "recipients", "sent", "failed", "suppressed"} <= set(digest)
    [(edition,)] = sql(root, "SELECT edition_id FROM edition")
    assert digest["edition"] == edition
    assert (root / "digests" / edition / "index.html").is_file()
    assert digest["recipients"] == len(GETS)  # active, not suppressed, with a story for them
    assert digest["sent"] == len(GETS)
    assert digest["failed"] == 0
    assert digest["suppressed"] == 1
    # Again: no edition due, `"digest": null` or an object without an edition.
    code, out, _ = invoke("publish", str(root), "--json")
    assert code == 0
    again = json.loads(out)["digest"]
    assert again is None or again.get("edition") is None


def test_publish_prints_a_sending_line(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    code, out, _ = invoke("publish", str(root))
    assert code == 0
    [(edition,)] = sql(root, "SELECT edition_id FROM edition")
    lines = [line for line in out.splitlines() if line.startswith("Sending edition")]
    assert len(lines) == 1
    assert lines[0].startswith(f"Sending edition {edition} (outbox): 5 sent of 5; 0 failed")
