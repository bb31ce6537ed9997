"""`syndicate serve` in a real browser (headless Chromium) against a real uvicorn
server: the index page with its feed links, and an unsubscribe link from a real
digest, clicked through under the strict Content-Security-Policy.

Clicking needs the DevTools protocol. Chromium speaks it over a pipe
(--remote-debugging-pipe: JSON messages ending in NUL, commands on fd 3, answers
on fd 4), so the standard library is enough: no websocket client, no new dependency.
The click is a real mouse press and release at the button's place on the page.
Skipped, with the reason, where Chromium is not installed."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from tests.serve.published import app_for, copy_site, digests, path_of, statuses, unsubscribe_url
from tests.serve.server import serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--remote-debugging-pipe",
]  # fmt: skip
# Puts the pipe's ends on fds 3 and 4, where Chromium looks for them, then becomes Chromium.
TRAMPOLINE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)
FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}

pytestmark = [
    pytest.mark.browser,
    # In CI (.ci/run installs it) a missing Chromium fails the tests instead.
    pytest.mark.skipif(
        CHROMIUM is None and os.environ.get("CI") != "true",
        reason="Chromium is not installed (apt install chromium)",
    ),
]


class Browser:
    """One headless Chromium and one tab in it, driven over the DevTools pipe."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()
        # Above 9, so that putting them on 3 and 4 never overwrites one with the other.
        child_read = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)
        child_write = fcntl.fcntl(answers_write, fcntl.F_DUPFD, 10)
        os.close(commands_read)
        os.close(answers_write)
        self.process = subprocess.Popen(
            [sys.executable, "-c", TRAMPOLINE, str(child_read), str(child_write), CHROMIUM,
             *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(child_read, child_write),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Chromium's helpers too, to stop them all by group id
        )  # fmt: skip
        os.close(child_read)
        os.close(child_write)
        self._buffer = b""
        self._inbox: list[dict[str, Any]] = []
        self._last_id = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=self.session)

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> Any:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        answer = self._take(lambda m: m.get("id") == self._last_id)
        assert "error" not in answer, (method, answer["error"])
        return answer["result"]

    def tab(self, method: str, **params: Any) -> Any:
        return self.call(method, params, self.session)

    def _take(self, wanted: Any, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self._inbox):
                if wanted(message):
                    return self._inbox.pop(index)
            ready, _, _ = select.select([self._answers], [], [], deadline - time.monotonic())
            assert ready, "Chromium did not answer in time"
            chunk = os.read(self._answers, 1 << 16)
            assert chunk, "Chromium closed the DevTools pipe"
            *complete, self._buffer = (self._buffer + chunk).split(b"\0")
            self._inbox += [json.loads(part) for part in complete]

    def events(self, method: str) -> list[dict[str, Any]]:
        return [m["params"] for m in self._inbox if m.get("method") == method]

    def evaluate(self, expression: str) -> Any:
        """DevTools evaluates outside the page's CSP (which lets no script run)."""
        result = self.tab("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"]["value"]

    def loaded(self, timeout: float = 15) -> None:
        try:
            self._take(lambda m: m.get("method") == "Page.loadEventFired", timeout)
        except AssertionError:
            console = [e["entry"]["text"] for e in self.events("Log.entryAdded")]
            raise AssertionError(f"no page loaded; the console said {console}") from None

    def open(self, url: str) -> None:
        self.tab("Page.navigate", url=url)
        self.loaded()

    def click(self, selector: str) -> None:
        """A left click at the middle of the element, as a person makes it."""
        x, y = self.evaluate(
            f"(() => {{ const box = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [box.x + box.width / 2, box.y + box.height / 2]; })()"
        )
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.tab("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.process.wait(10)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        finally:
            os.close(self._commands)
            os.close(self._answers)


@pytest.fixture(scope="module")
def served(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    site = copy_site(published, tmp_path_factory.mktemp("browser-site"))
    with serving(app_for(site)) as port:
        yield site, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    chromium = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield chromium
    finally:
        chromium.close()


def policy_violations(browser: Browser) -> list[str]:
    return [
        e["entry"]["text"]
        for e in browser.events("Log.entryAdded")
        if "Content Security Policy" in e["entry"]["text"]
    ]


def test_the_index_page_offers_the_feeds(browser: Browser, served: tuple[Path, str]) -> None:
    _, base = served
    browser.open(f"{base}/")
    assert browser.evaluate("document.querySelector('h1').textContent") == "Harbour Courier"
    alternates = browser.evaluate(
        "[...document.head.querySelectorAll('link[rel=alternate]')]"
        ".map(link => [link.type, link.href, link.title])"
    )
    assert len(alternates) == 13  # 4 scopes of 3 formats, and the digest archive's feed
    assert f"{base}/digests/feed.xml" in {href for _, href, _ in alternates}
    assert {kind for kind, _, _ in alternates} == FEED_TYPES
    assert all(title for _, _, title in alternates)
    for kind, href, _ in alternates:  # what the browser resolved, fetched as a reader would
        with urlopen(href, timeout=10) as response:
            assert response.headers["content-type"].split(";")[0] == kind, href
    archive = browser.evaluate("[...document.links].map(a => a.href)")
    assert f"{base}/digests/" in archive
    assert policy_violations(browser) == []


def test_unsubscribing_by_clicking_the_button(browser: Browser, served: tuple[Path, str]) -> None:
    site, base = served
    address = "lev.ostrander@example.org"
    link = base + path_of(unsubscribe_url(digests(site)[address]))
    browser.open(link)
    page = browser.evaluate("document.body.innerText")
    assert "Stop sending" in page and address in page
    # The page's own style applies under its CSP: the button is the site's blue.
    colour = browser.evaluate("getComputedStyle(document.querySelector('button')).backgroundColor")
    assert colour == "rgb(11, 83, 148)"
    assert statuses(site)[address] == "active"  # opening the page changed nothing

    browser.click("form button")
    browser.loaded()
    assert browser.evaluate("document.querySelector('h1').textContent") == "You are unsubscribed"
    assert address in browser.evaluate("document.body.innerText")
    assert browser.evaluate("location.href") == link  # posted to itself: no redirect
    assert statuses(site)[address] == "unsubscribed"
    assert statuses(site)["hana.lowry@example.com"] == "active"
    assert policy_violations(browser) == []
