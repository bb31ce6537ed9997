"""The outbox backend (the default): a Maildir with one file per send, through
`publish` and `dispatch`.

Each active subscriber gets one message, holding the sections they chose; nobody
who left, bounced or is suppressed gets one; a send is never written twice, not even
when a mail client has moved it to cur/; an outbox that cannot be written leaves the
sends queued for the next run.
"""

from __future__ import annotations

import email.message
import functools
import json
import mailbox
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from syndicate import pipeline
from syndicate.cli import app
from syndicate.deliveries import DeliveryReport
from syndicate.dispatch import backends
from syndicate.dispatch.sender import RetryPolicy
from syndicate.state import StateStore
from syndicate.subscribers import SubscriberBook
from syndicate.tokens import read_unsubscribe_token
from tests.factories import markdown_record, write_site

runner = CliRunner()
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
        SubscriberBook(store).suppress("suppressed@example.com", "550 5.1.1 no such user")
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


def publish_without_sending(root: Path) -> pipeline.PublishReport:
    """Publish that queues the sends and stops there, as a run killed before sending does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "deliver", lambda config, **_: DeliveryReport("outbox", ()))
        return pipeline.publish(root, {})


def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without the backoff's seconds of sleep."""
    monkeypatch.setattr(
        "syndicate.deliveries.RetryPolicy",
        functools.partial(RetryPolicy, attempts=2, base=0.0, cap=0.0),
    )


EDITION_KEYS = ("edition", "recipients", "sent", "failed", "deferred", "skipped", "resent_in_doubt")


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


# -- who gets what ----------------------------------------------------------------------


def test_each_active_subscriber_gets_one_message_of_their_sections(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    report = pipeline.publish(root, {})
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
        assert read_unsubscribe_token(key, token.group(1), "digest.news.example.com") == address
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got == GETS
    tally = report.delivery.tally(edition) if report.delivery else None
    assert tally is not None
    assert (tally.recipients, tally.sent, tally.failed, tally.deferred) == (5, 5, 0, 0)


def test_publishing_again_sends_nothing_more(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    pipeline.publish(root, {})
    before = {p.name: p.stat().st_mtime_ns for p in (root / "outbox" / "new").iterdir()}
    again = pipeline.publish(root, {})
    assert again.digest is not None and again.digest.edition is None  # nothing new
    assert again.delivery is not None and again.delivery.editions == ()
    assert pipeline.dispatch(root, {}).editions == ()
    assert {p.name: p.stat().st_mtime_ns for p in (root / "outbox" / "new").iterdir()} == before
    assert sql(root, "SELECT status, COUNT(*) FROM send GROUP BY status") == [("sent", 5)]


def test_a_message_a_mail_client_moved_to_cur_is_not_written_again(tmp_path: Path) -> None:
    root = digest_site(tmp_path)
    report = pipeline.publish(root, {})
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
    delivery = pipeline.dispatch(root, {})
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


# -- an outbox that cannot be written ----------------------------------------------------


def _unwritable_by_mode(new: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes whatever the mode says")
    new.chmod(0o500)


def _unwritable_not_a_folder(new: Path) -> None:
    new.rmdir()
    new.write_text("not a folder\n")


class _NewRefusesLinks:
    """The os module as the outbox sees it when new/ refuses entries (EACCES): what
    mode 0o500 does to anyone but root, for a test run by root."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def link(source: Path, target: Path) -> None:
        raise PermissionError(13, "Permission denied", str(target))


def _writable_again(new: Path) -> None:
    if new.is_file():
        new.unlink()
        new.mkdir()
    new.chmod(0o700)


@pytest.mark.parametrize(
    "make_unwritable",
    [_unwritable_by_mode, _unwritable_not_a_folder, None],
    ids=["mode", "a-file", "eacces-as-root"],
)
def test_an_outbox_that_cannot_be_written_leaves_the_sends_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_unwritable: Any
) -> None:
    quick_retries(monkeypatch)
    root = digest_site(tmp_path)
    mailbox.Maildir(root / "outbox", create=True)
    new = root / "outbox" / "new"
    try:
        with pytest.MonkeyPatch.context() as patch:
            if make_unwritable is None:
                patch.setattr(backends, "os", _NewRefusesLinks())
            else:
                make_unwritable(new)
            report = pipeline.publish(root, {})
    finally:
        _writable_again(new)
    assert report.digest is not None and report.digest.edition is not None
    edition = report.digest.edition.edition_id
    assert report.delivery is not None and report.delivery.problems
    digest = report.as_json()["digest"]
    assert isinstance(digest, dict)
    assert (digest["sent"], digest["deferred"], digest["failed"]) == (0, 5, 0)
    assert sql(root, "SELECT status, COUNT(*) FROM send GROUP BY status") == [("queued", 5)]
    for detail, attempts in sql(root, "SELECT detail, attempts FROM send"):
        assert detail.startswith("cannot write to the outbox") and attempts == 2
    assert sql(root, "SELECT COUNT(*) FROM suppression") == [(1,)]  # no one suppressed for it
    assert new_files(root) == []
    assert list((root / "outbox" / "tmp").iterdir()) == []  # nothing half-written left
    # A later run, with the outbox writable again, sends them all, once.
    later = pipeline.dispatch(root, {})
    [tally] = later.editions
    assert (tally.edition, tally.sent, tally.deferred) == (edition, 5, 0)
    assert len(new_files(root)) == 5
    assert {recipient(m) for _, m in outbox(root)} == set(GETS)


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


# -- a disk that fails to sync -----------------------------------------------------------


def test_a_file_that_cannot_be_synced_is_never_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick_retries(monkeypatch)
    root = digest_site(tmp_path)
    real = backends._fsync_each

    def first_fails(files: list[tuple[int, int]]) -> dict[int, OSError]:
        failed = real(files)
        failed.update({place: OSError(5, "I/O error") for place, _ in files if place == 0})
        return failed

    with monkeypatch.context() as patch:
        patch.setattr(backends, "_fsync_each", first_fails)
        digest = pipeline.publish(root, {}).as_json()["digest"]
    assert isinstance(digest, dict)
    # The batch's first file fails to sync, in both tries: that message alone waits.
    assert (digest["sent"], digest["deferred"]) == (4, 1)
    [(detail, attempts)] = sql(root, "SELECT detail, attempts FROM send WHERE status = 'queued'")
    assert detail.startswith("cannot write to the outbox") and attempts == 2
    assert len(new_files(root)) == 4
    assert list((root / "outbox" / "tmp").iterdir()) == []
    [tally] = pipeline.dispatch(root, {}).editions
    assert (tally.sent, tally.deferred) == (5, 0)
    assert sorted(recipient(m) for _, m in outbox(root)) == sorted(GETS)


def test_a_folder_that_cannot_be_synced_stops_the_run_in_doubt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linked but not known to last a crash: the batch stays `sending` (in doubt), the
    one staged behind it is removed, and the next run finds the one and writes the
    other, each once."""
    root = digest_site(tmp_path)
    monkeypatch.setattr(backends.Outbox, "batch", 2)  # batches of 2, 2 and 1

    def broken(folder: str) -> None:
        raise OSError(5, "I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(backends, "_fsync_folder", broken)
        report = pipeline.publish(root, {})
    assert report.delivery is not None
    [tally] = report.delivery.editions
    assert tally.stopped is not None and "cannot sync the outbox" in tally.stopped
    statuses = dict(sql(root, "SELECT status, COUNT(*) FROM send GROUP BY status"))
    assert statuses == {"sending": 4, "queued": 1}
    assert len(new_files(root)) == 2  # the first batch's, linked
    assert list((root / "outbox" / "tmp").iterdir()) == []  # the second's, removed
    [tally] = pipeline.dispatch(root, {}).editions
    assert (tally.sent, tally.in_doubt, tally.deferred) == (5, 4, 0)
    assert len(new_files(root)) == 5
    assert sorted(recipient(m) for _, m in outbox(root)) == sorted(GETS)
    assert sql(root, "SELECT COUNT(*) FROM send WHERE detail = 'already in the outbox'") == [(2,)]
