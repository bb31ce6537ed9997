"""Publishes killed part-way, and readers fetching feeds while publishes run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from syndicate import api
from tests.mail.sites import (
    NEW,
    assert_each_file_is_one_of,
    base_url,
    built_files,
    contents,
    leftovers,
    news_site,
    parse,
    published,
    serving,
)

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
    api.publish(site(0), {})
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
                assert api.publish(site(number % 2), {}).feeds.written
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
