"""`syndicate serve` in a real browser (headless Chromium, tests/browser.py) against a
real uvicorn server: the index page with its feed links, and an unsubscribe link from
a real digest, clicked through under the strict Content-Security-Policy. The click is
a real mouse press and release at the button's place on the page. Skipped, with the
reason, where Chromium is not installed (never in CI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import pytest

from tests.browser import NEEDS_CHROMIUM, Browser
from tests.serve.published import app_for, copy_site, digests, path_of, statuses, unsubscribe_url
from tests.serve.server import serving

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}

pytestmark = NEEDS_CHROMIUM


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
    assert browser.evaluate("document.querySelector('.masthead').textContent") == "Harbour Courier"
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
    # The page's own style applies under its CSP: the button is the digest's red.
    colour = browser.evaluate("getComputedStyle(document.querySelector('button')).backgroundColor")
    assert colour == "rgb(163, 32, 27)"
    assert statuses(site)[address] == "active"  # opening the page changed nothing

    browser.click("form button")
    browser.loaded()
    assert browser.evaluate("document.querySelector('h1').textContent") == "You are unsubscribed"
    assert address in browser.evaluate("document.body.innerText")
    assert browser.evaluate("location.href") == link  # posted to itself: no redirect
    assert statuses(site)[address] == "unsubscribed"
    assert statuses(site)["hana.lowry@example.com"] == "active"
    assert policy_violations(browser) == []
