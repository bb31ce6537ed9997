"""An outbox that cannot be written or synced: sends wait, and the next run writes each once."""

from __future__ import annotations

import functools
import mailbox
import os
from pathlib import Path
from typing import Any

import pytest

from syndicate import api
from syndicate.mail import outbox as outbox_module
from syndicate.mail.walk import RetryPolicy
from tests.mail.outbox_site import GETS, digest_site, new_files, outbox, recipient, sql


def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without the backoff's seconds of sleep."""
    monkeypatch.setattr(
        "syndicate.mail.deliver.RetryPolicy",
        functools.partial(RetryPolicy, attempts=2, base=0.0, cap=0.0),
    )


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
                patch.setattr(outbox_module, "os", _NewRefusesLinks())
            else:
                make_unwritable(new)
            report = api.publish(root, {})
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
    later = api.dispatch(root, {})
    [tally] = later.editions
    assert (tally.edition, tally.sent, tally.deferred) == (edition, 5, 0)
    assert len(new_files(root)) == 5
    assert {recipient(m) for _, m in outbox(root)} == set(GETS)


# -- a disk that fails to sync -----------------------------------------------------------


def test_a_file_that_cannot_be_synced_is_never_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick_retries(monkeypatch)
    root = digest_site(tmp_path)
    real = outbox_module._fsync_each

    def first_fails(files: list[tuple[int, int]]) -> dict[int, OSError]:
        failed = real(files)
        failed.update({place: OSError(5, "I/O error") for place, _ in files if place == 0})
        return failed

    with monkeypatch.context() as patch:
        patch.setattr(outbox_module, "_fsync_each", first_fails)
        digest = api.publish(root, {}).as_json()["digest"]
    assert isinstance(digest, dict)
    # The batch's first file fails to sync, in both tries: that message alone waits.
    assert (digest["sent"], digest["deferred"]) == (4, 1)
    [(detail, attempts)] = sql(root, "SELECT detail, attempts FROM send WHERE status = 'queued'")
    assert detail.startswith("cannot write to the outbox") and attempts == 2
    assert len(new_files(root)) == 4
    assert list((root / "outbox" / "tmp").iterdir()) == []
    [tally] = api.dispatch(root, {}).editions
    assert (tally.sent, tally.deferred) == (5, 0)
    assert sorted(recipient(m) for _, m in outbox(root)) == sorted(GETS)


def test_a_folder_that_cannot_be_synced_stops_the_run_in_doubt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linked but not known to last a crash: the batch stays `sending` (in doubt), the
    one staged behind it is removed, and the next run finds the one and writes the
    other, each once."""
    root = digest_site(tmp_path)
    monkeypatch.setattr(outbox_module.Outbox, "batch", 2)  # batches of 2, 2 and 1

    def broken(folder: str) -> None:
        raise OSError(5, "I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(outbox_module, "_fsync_folder", broken)
        report = api.publish(root, {})
    assert report.delivery is not None
    [tally] = report.delivery.editions
    assert tally.stopped is not None and "cannot sync the outbox" in tally.stopped
    statuses = dict(sql(root, "SELECT status, COUNT(*) FROM send GROUP BY status"))
    assert statuses == {"sending": 4, "queued": 1}
    assert len(new_files(root)) == 2  # the first batch's, linked
    assert list((root / "outbox" / "tmp").iterdir()) == []  # the second's, removed
    [tally] = api.dispatch(root, {}).editions
    assert (tally.sent, tally.in_doubt, tally.deferred) == (5, 4, 0)
    assert len(new_files(root)) == 5
    assert sorted(recipient(m) for _, m in outbox(root)) == sorted(GETS)
    assert sql(root, "SELECT COUNT(*) FROM send WHERE detail = 'already in the outbox'") == [(2,)]
