from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from syndicate import api
from syndicate._store.lock import site_lock
from syndicate.cli import app
from syndicate.errors import PublishError, SiteError
from syndicate.feeds import FeedFile
from syndicate.feeds import publish as feeds
from syndicate.feeds.publish import StagedFeeds, publish_staged, stage_feeds
from tests.factories import markdown_record, write_site
from tests.mail.sites import (
    NEW,
    built_files,
    contents,
    leftovers,
    news_site,
    published,
    snapshot,
    story,
    story_file,
)

# -- only what changed is written ---------------------------------------------------------


def test_a_second_publish_of_an_unchanged_site_writes_nothing(tmp_path: Path) -> None:
    root = news_site(tmp_path)
    first = api.publish(root, {})
    assert first.feeds.unchanged == []
    before = snapshot(published(root))
    assert sorted(before) == sorted(first.feeds.written)
    again = api.publish(root, {})
    assert again.feeds.written == []
    assert sorted(again.feeds.unchanged) == sorted(before)
    assert snapshot(published(root)) == before  # bytes, inodes and mtimes


def test_building_twice_gives_byte_identical_files(tmp_path: Path) -> None:
    root = news_site(tmp_path)
    staged = root / ".syndicate" / "build" / "feeds"
    runner = CliRunner()
    first = runner.invoke(app, ["build", str(root), "--quiet"])
    assert first.exit_code == 0, first.output
    built = contents(staged)
    assert "rss.xml" in built and "archive/world/atom-1.xml" in built
    second = runner.invoke(app, ["build", str(root), "--quiet"])
    assert second.exit_code == 0, second.output
    assert contents(staged) == built
    assert not published(root).exists()  # build publishes nothing


SITE_FEEDS = {"rss.xml", "atom.xml", "feed.json"}
WORLD_FEEDS = {"world/rss.xml", "world/atom.xml", "world/feed.json"}


def archive(scope: str, number: int) -> set[str]:
    return {f"archive/{scope}/{kind}-{number}.{'json' if kind == 'json' else 'xml'}"
            for kind in ("rss", "atom", "json")}  # fmt: skip


# Five stories a section, two entries a feed. The site's stories in the order they came:
# W1 B1 | W2 B2 | W3 B3 | W4 B4 | W5 B5 (the last two in the feed, the others in archive
# pages 1-4); World's: W1 W2 | W3 W4 | W5, with W4 W5 in the feed and pages 1-2 archived.
@pytest.mark.parametrize(
    ("number", "edit", "changed"),
    [
        (5, {"summary": "A corrected summary."}, SITE_FEEDS | WORLD_FEEDS),
        (1, {"body": "A corrected body."}, archive("site", 1) | archive("world", 1)),
        (4, {"body": "A corrected body."}, archive("site", 4) | WORLD_FEEDS | archive("world", 2)),
    ],
    ids=["in-the-feeds", "archived-only", "in-both"],
)
def test_editing_one_article_rewrites_only_the_files_that_contain_it(
    tmp_path: Path, number: int, edit: dict[str, str], changed: set[str]
) -> None:
    root = news_site(tmp_path)
    api.publish(root, {})
    before = snapshot(published(root))
    write_site(root, {story_file("World", number): story("World", number, **edit)})
    report = api.publish(root, {})
    assert set(report.feeds.written) == changed
    after = snapshot(published(root))
    assert set(after) == set(before)
    assert {path for path in after if after[path] != before[path]} == changed
    for path in changed:
        assert after[path].content != before[path].content


# -- a failed publish changes nothing -----------------------------------------------------


class FlakyOs:
    """`os` as the publisher sees it, with `os.replace` failing on one call."""

    def __init__(self, fail_on: int) -> None:
        self.fail_on = fail_on
        self.calls = 0

    def replace(self, source: Any, target: Any) -> None:
        self.calls += 1
        if self.calls == self.fail_on:
            raise OSError(errno.EIO, "injected failure", str(target))
        os.replace(source, target)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


@pytest.mark.parametrize(
    ("previously", "fail_on"),
    [("published", "first"), ("published", "third"), ("published", "last"), ("nothing", "third")],
)
def test_a_move_that_fails_part_way_puts_every_published_file_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on: str, previously: str
) -> None:
    root = news_site(tmp_path, per_section=3)
    if previously == "published":
        api.publish(root, {})
    before = snapshot(published(root))
    new = built_files(news_site(root, per_section=3, version=NEW))
    moves = len(set(new.items()) - {(p, s.content) for p, s in before.items()})
    assert moves > 3
    flaky = FlakyOs({"first": 1, "third": 3, "last": moves}[fail_on])
    monkeypatch.setattr(feeds, "os", flaky)
    with pytest.raises(PublishError, match="put back"):
        api.publish(root, {})
    assert flaky.calls >= flaky.fail_on
    assert snapshot(published(root)) == before  # the same bytes, even the same inodes
    assert leftovers(published(root)) == []
    monkeypatch.undo()
    api.publish(root, {})
    assert contents(published(root)) == new


def test_a_write_that_fails_leaves_the_published_files_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = news_site(tmp_path, per_section=3)
    api.publish(root, {})
    before = snapshot(published(root))
    news_site(root, per_section=3, version=NEW)
    real_write = feeds._write_synced
    written: list[Path] = []

    def write_until_the_disk_is_full(path: Path, content: bytes) -> None:
        if written:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_write(path, content)
        written.append(path)

    monkeypatch.setattr(feeds, "_write_synced", write_until_the_disk_is_full)
    with pytest.raises(PublishError, match="nothing changed") as raised:
        api.publish(root, {})
    assert "No space left" in raised.value.message
    assert len(written) == 1
    assert snapshot(published(root)) == before
    assert leftovers(published(root)) == []


def test_temporary_files_left_by_a_killed_run_are_cleared_and_nothing_else(
    tmp_path: Path,
) -> None:
    root = news_site(tmp_path)
    api.publish(root, {})
    folder = published(root)
    stale = [
        folder / ".rss.xml.0123456789ab.tmp",
        folder / "archive/site/.atom-1.xml.a1b2c3d4e5f6.old",
    ]
    for path in stale:
        path.write_bytes(b"<rss><channel>")
    kept = [folder / ".htaccess", folder / ".rss.xml.tmp", folder / "world/notes.old"]
    for path in kept:
        path.write_bytes(b"the site's own")
    report = api.publish(root, {})
    assert report.feeds.written == []
    assert leftovers(folder) == []
    assert all(path.read_bytes() == b"the site's own" for path in kept)


# -- paths -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["../x", "/abs", "a/../../x", "", "."])
def test_staging_rejects_paths_that_leave_the_folder(tmp_path: Path, path: str) -> None:
    folder = tmp_path / "stage" / "feeds"
    files = [FeedFile("rss.xml", b"<rss/>", "application/rss+xml"), FeedFile(path, b"x", "")]
    with pytest.raises(ValueError, match="not a safe relative path"):
        stage_feeds(files, folder)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["rss.xml"]


@pytest.mark.parametrize("path", ["../x", "/abs"])
def test_publishing_rejects_unsafe_paths_before_writing_anything(tmp_path: Path, path: str) -> None:
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "rss.xml").write_bytes(b"<rss/>")
    target = tmp_path / "site" / "feeds"
    with pytest.raises(ValueError, match="not a safe relative path"):
        publish_staged(StagedFeeds(stage, ["rss.xml", path]), target)
    assert not target.exists() or list(target.rglob("*")) == []
    assert not (tmp_path / "site" / "x").exists() and not Path("/abs").exists()


def test_a_second_run_on_the_same_site_is_refused_while_one_holds_the_lock(
    tmp_path: Path,
) -> None:
    root = write_site(tmp_path / "site", {"world/a.md": markdown_record({"title": "A"})})
    with site_lock(root / ".syndicate" / "publish.lock"):
        with pytest.raises(SiteError, match="another syndicate"):
            api.publish(root, {})
        assert not (root / "feeds").exists()
    assert api.publish(root, {}).feeds.written  # the lock went with its holder


def test_files_no_longer_built_are_removed_and_others_files_kept(tmp_path: Path) -> None:
    root = write_site(
        tmp_path / "site",
        {
            "world/a.md": markdown_record({"title": "A"}),
            "sport/b.md": markdown_record({"title": "B"}),
        },
    )
    (root / "feeds").mkdir()
    (root / "feeds" / "robots.txt").write_text("not ours")
    api.publish(root, {})
    assert (root / "feeds" / "sport" / "atom.xml").is_file()
    (root / "articles" / "sport" / "b.md").unlink()
    report = api.publish(root, {})
    assert sorted(report.feeds.removed) == [
        "sport/atom.xml", "sport/feed.json", "sport/links.html", "sport/rss.xml",
    ]  # fmt: skip
    assert not (root / "feeds" / "sport").exists()
    assert (root / "feeds" / "robots.txt").read_text() == "not ours"
    # Counted in feed documents: rss, atom and JSON for the site, World and Sport.
    assert report.as_json()["feeds"] == {"written": 3, "unchanged": 3, "removed": 3}


def test_a_run_that_lost_its_records_removes_nothing(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", {"world/a.md": markdown_record({"title": "A"})})
    api.publish(root, {})
    before = snapshot(published(root))
    (root / "articles" / "world" / "a.md").write_text("---\ntitle: ''\n---\n")
    report = api.publish(root, {})
    assert report.site.errors and report.feeds.removed == []
    assert snapshot(published(root)) == before
