"""The memo that nothing is due: kept only while the site, the editions and the
window it was found with still say so."""

from __future__ import annotations

import gc
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from syndicate import api
from syndicate._cache import files as cache_files
from syndicate._cache.edition_due import NothingDue
from syndicate.config import load_config
from tests.commands import invoke
from tests.factories import NOW, copy_example_site, markdown_record


def settled_site(tmp_path: Path, since: str = "last-edition") -> Path:
    root = copy_example_site(tmp_path)
    path = root / "syndicate.toml"
    text = path.read_text("utf-8")
    path.write_text(text.replace('since = "last-edition"', f'since = "{since}"'), "utf-8")
    old = time.time() - 60
    for path in (root / "articles").rglob("*"):
        os.utime(path, (old, old))
    return root


def add_story(root: Path, name: str) -> None:
    path = root / "articles" / "world" / f"{name}.md"
    path.write_text(
        markdown_record({"title": f"{name} Story", "published": "2026-11-24T09:00:00Z"})
    )
    old = time.time() - 60
    os.utime(path, (old, old))


def test_the_window_may_only_move_forward(tmp_path: Path) -> None:
    root = settled_site(tmp_path, since="7d")
    config = load_config(root, {})
    memo = NothingDue.for_site(config, "site key", NOW)
    assert memo.window_from == NOW - timedelta(days=7)
    assert not memo.holds()
    memo.remember()
    assert memo.holds()
    assert NothingDue.for_site(config, "site key", NOW + timedelta(hours=1)).holds()
    assert not NothingDue.for_site(config, "site key", NOW - timedelta(seconds=1)).holds()
    assert not NothingDue.for_site(config, "other site", NOW + timedelta(hours=1)).holds()
    assert not NothingDue.for_site(config, None, NOW).holds()


def test_a_window_of_last_edition_holds_until_the_editions_change(tmp_path: Path) -> None:
    root = settled_site(tmp_path)
    api.publish(root, {})  # the first edition
    config = load_config(root, {})
    memo = NothingDue.for_site(config, "site key", NOW)
    assert memo.window_from is None
    memo.remember()
    assert NothingDue.for_site(config, "site key", NOW + timedelta(days=30)).holds()
    add_story(root, "Later")
    assert api.publish(root, {}).digest is not None  # a second edition
    assert not NothingDue.for_site(config, "site key", NOW + timedelta(days=30)).holds()


def test_a_republish_with_nothing_new_reads_no_article_and_says_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = settled_site(tmp_path)
    assert api.publish(root, {}).digest.edition is not None
    quiet = api.publish(root, {})
    assert quiet.digest.edition is None
    parts: list[int] = []
    real = cache_files.StoredCache.part
    monkeypatch.setattr(
        cache_files.StoredCache, "part", lambda self, n: parts.append(n) or real(self, n)
    )
    again = api.publish(root, {})
    assert parts == []
    assert again.as_json() == quiet.as_json()
    # New stories are still seen, and so is --force, with the memo standing.
    assert api.publish(root, {}, force=True).digest.edition is not None
    add_story(root, "Newer")
    assert api.publish(root, {}).digest.edition is not None


def test_the_publish_command_reads_no_article_either_and_leaves_nothing_frozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = settled_site(tmp_path)
    for _ in range(2):
        assert invoke("publish", str(root))[0] == 0
    parts: list[int] = []
    real = cache_files.StoredCache.part

    def counted(self: cache_files.StoredCache, number: int) -> object:
        parts.append(number)
        return real(self, number)

    monkeypatch.setattr(cache_files.StoredCache, "part", counted)
    code, out, _ = invoke("publish", str(root))
    assert code == 0 and "14 articles" in out and "0 written" in out
    assert parts == [] and gc.get_freeze_count() == 0
