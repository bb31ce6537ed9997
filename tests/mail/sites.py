"""Builders shared by the dispatch tests: a small news site, snapshots, local servers."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

from lxml import etree

from syndicate import api
from tests.factories import markdown_record, write_site

SECTIONS = ("World", "Business")
FIRST = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
Server = TypeVar("Server", bound=ThreadingHTTPServer)
# What publishing leaves beside a file while it works: `.rss.xml.<token>.tmp` or `.old`.
TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{12}\.(tmp|old)$")


def story(
    section: str,
    number: int,
    *,
    title: str | None = None,
    summary: str | None = None,
    body: str | None = None,
) -> str:
    """One article; World and Business take turns, so the site's order is W1, B1, W2, B2..."""
    published = FIRST + timedelta(hours=2 * number + (section != SECTIONS[0]))
    front = {
        "title": title or f"{section} story {number}",
        "section": section,
        "published": published.isoformat().replace("+00:00", "Z"),
        "summary": summary or f"Summary of {section} story {number}.",
    }
    return markdown_record(front, body or f"Body of {section} story {number}.")


def story_file(section: str, number: int) -> str:
    return f"{section.lower()}/story-{number}.md"


def news_site(
    root: Path,
    *,
    per_section: int = 5,
    entries: int = 2,
    hubs: Sequence[str] = (),
    version: str = "",
) -> Path:
    """A site with two sections; `version` is appended to every title (to make a new build)."""
    files = {
        story_file(section, n): story(section, n, title=f"{section} story {n}{version}")
        for section in SECTIONS
        for n in range(1, per_section + 1)
    }
    config = (
        '[site]\nbase_url = "https://news.example.com/"\n'
        f"sections = {json.dumps(list(SECTIONS))}\n\n"
        f"[feeds]\nentries = {entries}\n"
    )
    if hubs:
        config += f"hubs = {json.dumps(list(hubs))}\n"
    return write_site(root, files, config)


def built_files(root: Path) -> dict[str, bytes]:
    """What `syndicate build` stages for the site as it is now, path by path."""
    staged = api.build(root, {}).feeds
    return {path: (staged.folder / path).read_bytes() for path in staged.paths}


@dataclass(frozen=True)
class Seen:
    content: bytes
    inode: int
    mtime_ns: int


def snapshot(folder: Path) -> dict[str, Seen]:
    """Every file under `folder` (temporary ones too): bytes, inode and mtime."""
    seen = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            status = path.stat()
            relative = path.relative_to(folder).as_posix()
            seen[relative] = Seen(path.read_bytes(), status.st_ino, status.st_mtime_ns)
    return seen


def contents(folder: Path) -> dict[str, bytes]:
    return {path: seen.content for path, seen in snapshot(folder).items()}


def leftovers(folder: Path) -> list[str]:
    """Temporary files that publishing left under `folder`."""
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if TEMPORARY.match(p.name)
    )


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(
    server_class: type[Server], handler: Callable[..., BaseHTTPRequestHandler]
) -> Iterator[Server]:
    """An HTTP server on a free port of 127.0.0.1, in a thread, stopped on the way out."""
    server = server_class(("127.0.0.1", 0), handler)
    serve = partial(server.serve_forever, poll_interval=0.01)  # so that shutdown is quick
    thread = threading.Thread(target=serve, name="test-http", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def base_url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


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
