from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from typer.testing import CliRunner

from syndicate import pipeline
from syndicate.cli import app
from syndicate.dispatch import feeds
from syndicate.dispatch.feeds import StagedFeeds, publish_staged, stage_feeds
from syndicate.dispatch.lock import site_lock
from syndicate.errors import PublishError, SiteError
from syndicate.feeds import FeedFile
from tests.dispatch.sites import (
    TEMPORARY,
    base_url,
    built_files,
    contents,
    leftovers,
    news_site,
    serving,
    snapshot,
    story,
    story_file,
)
from tests.factories import markdown_record, write_site

NEW = " (updated)"  # appended to every title: a second version of the site


def published(root: Path) -> Path:
    return root / "feeds"


def parse(path: str, content: bytes) -> None:
    """Fails unless `content` is a whole document of the kind its name says."""
    if path.endswith(".json"):
        json.loads(content)
    elif path.endswith((".xml", ".opml", ".xsl")):
        etree.fromstring(content)
    else:
        content.decode("utf-8")


def assert_each_file_is_one_of(folder: Path, *versions: dict[str, bytes]) -> Counter[int]:
    """Every published file is whole: one of `versions` of it. How many files are each."""
    files = {p: c for p, c in contents(folder).items() if not TEMPORARY.match(Path(p).name)}
    assert set(files) == set(versions[0])
    counts: Counter[int] = Counter()
    for path, content in files.items():
        matches = [n for n, version in enumerate(versions) if version[path] == content]
        assert matches, f"{path} is neither the old nor the new build"
        parse(path, content)
        if len(matches) == 1:
            counts[matches[0]] += 1
    return counts


# -- only what changed is written ---------------------------------------------------------


def test_a_second_publish_of_an_unchanged_site_writes_nothing(tmp_path: Path) -> None:
    root = news_site(tmp_path)
    first = pipeline.publish(root, {})
    assert first.feeds.unchanged == []
    before = snapshot(published(root))
    assert sorted(before) == sorted(first.feeds.written)
    again = pipeline.publish(root, {})
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
    pipeline.publish(root, {})
    before = snapshot(published(root))
    write_site(root, {story_file("World", number): story("World", number, **edit)})
    report = pipeline.publish(root, {})
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
        pipeline.publish(root, {})
    before = snapshot(published(root))
    new = built_files(news_site(root, per_section=3, version=NEW))
    moves = len(set(new.items()) - {(p, s.content) for p, s in before.items()})
    assert moves > 3
    flaky = FlakyOs({"first": 1, "third": 3, "last": moves}[fail_on])
    monkeypatch.setattr(feeds, "os", flaky)
    with pytest.raises(PublishError, match="put back"):
        pipeline.publish(root, {})
    assert flaky.calls >= flaky.fail_on
    assert snapshot(published(root)) == before  # the same bytes, even the same inodes
    assert leftovers(published(root)) == []
    monkeypatch.undo()
    pipeline.publish(root, {})
    assert contents(published(root)) == new


def test_a_write_that_fails_leaves_the_published_files_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = news_site(tmp_path, per_section=3)
    pipeline.publish(root, {})
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
        pipeline.publish(root, {})
    assert "No space left" in raised.value.message
    assert len(written) == 1
    assert snapshot(published(root)) == before
    assert leftovers(published(root)) == []


def test_temporary_files_left_by_a_killed_run_are_cleared_and_nothing_else(
    tmp_path: Path,
) -> None:
    root = news_site(tmp_path)
    pipeline.publish(root, {})
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
    report = pipeline.publish(root, {})
    assert report.feeds.written == []
    assert leftovers(folder) == []
    assert all(path.read_bytes() == b"the site's own" for path in kept)


# -- a publish killed part-way ------------------------------------------------------------

# Each publish below is what `python -m syndicate publish DIR --quiet` runs, in a process
# forked from one that did the imports once (so fifteen kills take one second, not six).
# The test's line says how it ends: `none`, `delay:SECONDS` (then SIGKILL), or
# `replace:N` / `fsync:N`: SIGKILL at the Nth rename or fsync, mid-move or mid-write.
FORKER = """
import os, runpy, signal, sys, time

import syndicate.cli


def die_at(name, number):
    real = getattr(os, name)
    calls = 0

    def dying(*args):
        nonlocal calls
        calls += 1
        if calls == number:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args)

    setattr(os, name, dying)


print("ready", flush=True)
while line := sys.stdin.readline():
    mode, _, value = line.strip().partition(":")
    pid = os.fork()
    if pid == 0:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        if mode in ("replace", "fsync"):
            die_at(mode, int(value))
        try:
            runpy.run_module("syndicate", run_name="__main__", alter_sys=True)
        except SystemExit as exit:
            os._exit(exit.code if isinstance(exit.code, int) else 1)
        os._exit(0)
    if mode == "delay":
        time.sleep(float(value))
        os.kill(pid, signal.SIGKILL)  # not reaped yet: this pid is still our child
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""
# The first kill comes at the second move of a publish that changes every feed: from then
# on the folder holds old and new files side by side, each of them whole.
KILLS = [
    "replace:2", "delay:0.1", "fsync:3", "replace:17", "delay:0.3", "fsync:20", "replace:1",
    "delay:0.5", "fsync:1", "replace:30", "delay:0.7", "fsync:33", "replace:9", "delay:0.9",
    "delay:1.1",
]  # fmt: skip


@contextmanager
def forker(root: Path) -> Iterator[Callable[[str], int]]:
    """`publish(kill)` runs one publish of `root` that ends as `kill` says; its exit status."""
    process = subprocess.Popen(
        [sys.executable, "-c", FORKER, "publish", str(root), "--quiet"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout

    def publish(kill: str) -> int:
        stdin.write(kill + "\n")
        stdin.flush()
        return int(stdout.readline())

    try:
        assert stdout.readline() == "ready\n"
        yield publish
    finally:
        stdin.close()
        try:
            process.wait(timeout=10)
        finally:
            process.kill()
            stdout.close()


def test_a_publish_killed_part_way_leaves_only_whole_files(tmp_path: Path) -> None:
    root = news_site(tmp_path)
    versions = [built_files(news_site(root, version=v)) for v in ("", NEW)]
    assert set(versions[0]) == set(versions[1])
    news_site(root)
    mixed = False
    with forker(root) as publish:
        started = time.monotonic()
        assert publish("none") == 0
        duration = time.monotonic() - started  # of one whole publish: to spread the kills
        assert contents(published(root)) == versions[0]
        most = 0  # the version that most published files are
        for kill in KILLS:
            wanted = 1 - most
            news_site(root, version=("", NEW)[wanted])
            mode, _, value = kill.partition(":")
            if mode == "delay":
                kill = f"delay:{duration * float(value):.4f}"
            assert publish(kill) in (0, -signal.SIGKILL), kill
            counts = assert_each_file_is_one_of(published(root), *versions)
            mixed = mixed or len(counts) == 2
            most = counts.most_common(1)[0][0]
    assert mixed  # some kill did land between two moves
    finished = subprocess.run(
        [sys.executable, "-m", "syndicate", "publish", str(root), "--json"],
        capture_output=True,
        check=True,
    )
    assert json.loads(finished.stdout)["errors"] == []
    assert contents(published(root)) == versions[wanted]
    assert leftovers(published(root)) == []


# -- a reader during publishes ------------------------------------------------------------


class FeedFolderHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_reader_over_http_never_gets_a_partial_feed(tmp_path: Path) -> None:
    def site(version: int) -> Path:
        return news_site(tmp_path, per_section=2, version=("", NEW)[version])

    versions = [built_files(site(0)), built_files(site(1))]
    pipeline.publish(site(0), {})
    names = ["atom.xml", "rss.xml", "feed.json"]
    fetched: list[tuple[str, bytes]] = []
    failures: list[BaseException] = []
    stop = threading.Event()
    reading = threading.Event()

    def read(url: str) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            while not stop.is_set():
                for name in names:
                    with opener.open(url + name, timeout=5) as response:
                        fetched.append((name, response.read()))
                reading.set()
        except BaseException as exc:
            failures.append(exc)
            reading.set()

    handler = partial(FeedFolderHandler, directory=str(published(tmp_path)))
    with serving(ThreadingHTTPServer, handler) as server:
        reader = threading.Thread(target=read, args=(base_url(server),))
        reader.start()
        try:
            assert reading.wait(timeout=10)
            before = len(fetched)
            for number in range(1, 21):
                assert pipeline.publish(site(number % 2), {}).feeds.written
            during = len(fetched) - before
        finally:
            stop.set()
            reader.join(timeout=10)
    assert not reader.is_alive()
    assert failures == []
    assert during > 0
    for name, body in fetched:
        parse(name, body)
        assert body in (versions[0][name], versions[1][name])


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
            pipeline.publish(root, {})
        assert not (root / "feeds").exists()
    assert pipeline.publish(root, {}).feeds.written  # the lock went with its holder
