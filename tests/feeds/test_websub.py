from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs

import pytest
from lxml import etree
from typer.testing import CliRunner

from syndicate import api
from syndicate.cli import app
from syndicate.errors import Problem
from syndicate.feeds.websub import ping_hubs
from tests.factories import write_site
from tests.mail.sites import (
    QuietHandler,
    base_url,
    closed_port,
    news_site,
    serving,
    story,
    story_file,
)

ATOM = "http://www.w3.org/2005/Atom"
FEEDS = "https://news.example.com/feeds/"
SUBSCRIPTION_FEEDS = {
    f"{FEEDS}{scope}{name}"
    for scope in ("", "world/", "business/")
    for name in ("rss.xml", "atom.xml", "feed.json")
}


@dataclass(frozen=True)
class Ping:
    path: str
    content_type: str | None
    user_agent: str | None
    form: dict[str, list[str]]


class HubServer(ThreadingHTTPServer):
    status = 204  # what the hub answers; a test may change it

    def __init__(
        self, address: tuple[str, int], handler: Callable[..., BaseHTTPRequestHandler]
    ) -> None:
        super().__init__(address, handler)
        self.pings: list[Ping] = []
        self.feeds_dir: Path | None = None  # where the feeds are, to read them as a hub would
        self.fetched: dict[str, bytes] = {}  # feed URL: what it held when the ping came

    @property
    def url(self) -> str:
        return base_url(self) + "hub"

    def urls(self) -> list[str]:
        """The `hub.url` of every ping so far, in the order they came."""
        return [url for ping in self.pings for url in ping.form.get("hub.url", [])]


class HubHandler(QuietHandler):
    def do_POST(self) -> None:
        server = cast(HubServer, self.server)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        form = parse_qs(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        server.pings.append(
            Ping(self.path, self.headers["Content-Type"], self.headers["User-Agent"], form)
        )
        if server.feeds_dir is not None:  # a hub fetches the feed as soon as it hears of it
            for url in form["hub.url"]:
                server.fetched[url] = (server.feeds_dir / url.removeprefix(FEEDS)).read_bytes()
        self.send_response(server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pings go straight to 127.0.0.1, whatever proxy the machine is set up with."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def hub() -> Iterator[HubServer]:
    with serving(HubServer, HubHandler) as server:
        yield server


# -- ping_hubs ---------------------------------------------------------------------------


def test_each_feed_is_announced_to_the_hub_form_encoded(hub: HubServer) -> None:
    feeds = [f"{FEEDS}rss.xml", f"{FEEDS}world/feed.json?a=1&b=2 3"]
    assert ping_hubs([hub.url], feeds, "syndicate/9.9") == []
    assert hub.pings == [
        Ping(
            "/hub",
            "application/x-www-form-urlencoded",
            "syndicate/9.9",
            {"hub.mode": ["publish"], "hub.url": [url]},
        )
        for url in feeds
    ]


def test_a_hub_that_answers_500_gives_warnings(hub: HubServer) -> None:
    hub.status = 500
    feeds = [f"{FEEDS}rss.xml", f"{FEEDS}atom.xml"]
    problems = ping_hubs([hub.url], feeds, "syndicate/test")
    assert all(isinstance(problem, Problem) for problem in problems)
    assert [(p.file, p.message) for p in problems] == [
        (hub.url, f"hub answered 500 for {url}") for url in feeds
    ]
    assert hub.urls() == feeds


@pytest.mark.parametrize(
    "broken",
    [f"http://127.0.0.1:{closed_port()}/hub", "http://", "gopher://127.0.0.1/"],
    ids=["closed-port", "no-host", "unknown-scheme"],
)
def test_a_hub_that_cannot_be_reached_gives_warnings_and_the_others_still_get_theirs(
    hub: HubServer, broken: str
) -> None:
    feeds = [f"{FEEDS}rss.xml", f"{FEEDS}world/rss.xml"]
    problems = ping_hubs([broken, hub.url], feeds, "syndicate/test")
    # One warning per unreachable hub: trying its other feeds would only time out again.
    [problem] = problems
    assert problem.file == broken
    assert "unreachable" in problem.message and "not told of 2 feeds" in problem.message
    assert hub.urls() == feeds


# -- publish -----------------------------------------------------------------------------


def test_publish_pings_exactly_the_subscription_feeds_that_changed(
    tmp_path: Path, hub: HubServer
) -> None:
    root = news_site(tmp_path, hubs=[hub.url])
    hub.feeds_dir = root / "feeds"
    first = api.publish(root, {})
    assert first.warnings == ()
    assert sorted(hub.urls()) == sorted(SUBSCRIPTION_FEEDS)  # each once; no archive page
    atom = etree.parse(root / "feeds/atom.xml")
    assert atom.xpath("/a:feed/a:link[@rel='hub']/@href", namespaces={"a": ATOM}) == [hub.url]

    hub.pings.clear()
    assert api.publish(root, {}).feeds.written == []
    assert hub.pings == []

    write_site(root, {story_file("World", 5): story("World", 5, summary="A corrected summary.")})
    api.publish(root, {})
    changed = sorted(
        f"{FEEDS}{scope}{name}"
        for scope in ("", "world/")
        for name in ("rss.xml", "atom.xml", "feed.json")
    )
    assert sorted(hub.urls()) == changed
    for url in changed:  # pinged once in place: what the hub fetches is the new feed
        assert b"A corrected summary." in hub.fetched[url]

    hub.pings.clear()  # an article that is only in archive pages: no subscription feed changed
    write_site(root, {story_file("World", 1): story("World", 1, body="A corrected body.")})
    report = api.publish(root, {})
    assert report.feeds.written and all(p.startswith("archive/") for p in report.feeds.written)
    assert hub.pings == []


@pytest.mark.parametrize("failure", ["answers-500", "unreachable"])
def test_a_failing_hub_never_fails_the_publish(
    tmp_path: Path, hub: HubServer, failure: str
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/hub"
    if failure == "answers-500":
        hub.status, url = 500, hub.url
    root = news_site(tmp_path, hubs=[url])
    report = api.publish(root, {})
    assert report.site.errors == ()
    assert len(report.feeds.written) == len(list((root / "feeds").rglob("*.*")))
    warned = [w for w in report.warnings if w.file == url]
    assert len(warned) == (len(SUBSCRIPTION_FEEDS) if failure == "answers-500" else 1)
    expected = "hub answered 500" if failure == "answers-500" else "hub unreachable"
    assert all(w.message.startswith(expected) for w in warned)


def test_publish_json_carries_the_hub_warning_and_exits_0(tmp_path: Path, hub: HubServer) -> None:
    hub.status = 500
    root = news_site(tmp_path, hubs=[hub.url])
    result = CliRunner().invoke(app, ["publish", str(root), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["errors"] == []
    assert report["feeds"]["written"] > 0
    hub_warnings = [w for w in report["warnings"] if w["file"] == hub.url]
    assert sorted(w["message"] for w in hub_warnings) == sorted(
        f"hub answered 500 for {url}" for url in SUBSCRIPTION_FEEDS
    )


def test_a_hub_that_redirects_is_a_warning_not_a_silent_get(hub: HubServer) -> None:
    hub.status = 302
    [problem] = ping_hubs([hub.url], [f"{FEEDS}rss.xml"], "syndicate/test")
    assert "302" in problem.message
