"""Every page a person sees, as Chromium shows it from a real `syndicate serve`: axe-core
finds no violation at all (labels, contrast, focus, landmarks, language; the issue asks
for none serious or critical, and the edition's two moderate ones are named in LEFT)
in the light or the dark colour scheme; nothing scrolls sideways at 320, 375 or 800
px; the Content-Security-Policy blocks nothing of ours. The pages that need a form
sent or a button pressed are reached by typing and clicking, as a person does.

Screenshots at 375 and 800 px, light and dark, go to $SYNDICATE_SCREENSHOTS when it names a folder
(to look at them), else to the test's own folder. Skipped, with the reason, where
Chromium or axe-core (`make test` installs it with npm) is missing; never in CI."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser import AXE, NEEDS_CHROMIUM, Browser
from tests.serve.published import (
    app_for,
    confirm_url,
    confirmations,
    copy_site,
    digests,
    edition_of,
    offer_languages,
    path_of,
    unsubscribe_url,
)
from tests.serve.server import serving

pytestmark = [
    *NEEDS_CHROMIUM,
    pytest.mark.skipif(
        not AXE.is_file() and os.environ.get("CI") != "true",
        reason="axe-core is not installed (make test runs npm ci in tests/)",
    ),
]
WIDTHS = (320, 375, 800)
SHOTS = (375, 800)
# The bar is no serious or critical violation; our own pages have none of any
# impact. The edition's web copy is the email's HTML as MJML makes it: one <div> for
# the message, no <main> landmark (moderate; mail clients drop landmarks anyway).
LEFT = {"edition": {"landmark-one-main", "region"}}
SERIOUS = {"serious", "critical"}


class Visit:
    """The served site and the browser; `to` takes the browser to one of its pages."""

    def __init__(self, site: Path, base: str, browser: Browser) -> None:
        self.site, self.base, self.browser = site, base, browser
        self.signups = 0

    def open(self, path: str) -> None:
        self.browser.open(self.base + path)

    def press(self, selector: str) -> None:
        self.browser.click(selector)
        self.browser.loaded()

    def signed_up(self) -> str:
        """A new address, typed into the sign-up form and sent; its confirmation link."""
        self.signups += 1
        address = f"reader{self.signups}@example.net"
        self.open("/subscribe")
        self.browser.type_into("#email", address)
        self.press("form button")
        deadline = time.monotonic() + 10
        while not (sent := confirmations(self.site, address)):
            assert time.monotonic() < deadline, "no confirmation mail"
            time.sleep(0.05)
        return path_of(confirm_url(sent[0]))

    def unsubscribe_link(self) -> str:
        return path_of(unsubscribe_url(digests(self.site)["hana.lowry@example.com"]))

    def sent(self) -> None:
        self.signed_up()

    def confirmed(self) -> None:
        self.open(self.signed_up())
        self.press("form button")

    def unsubscribed(self) -> None:
        self.open(self.unsubscribe_link())
        self.press("form button")


PAGES: dict[str, Callable[[Visit], None]] = {
    "front": lambda v: v.open("/"),
    "sign-up": lambda v: v.open("/subscribe"),
    "sign-up-sent": Visit.sent,
    "confirm": lambda v: v.open(v.signed_up()),
    "confirmed": Visit.confirmed,
    "unsubscribe": lambda v: v.open(v.unsubscribe_link()),
    "unsubscribed": Visit.unsubscribed,
    "broken-link": lambda v: v.open("/confirm/not-one-of-ours"),
    "not-found": lambda v: v.open("/no/such/page"),
    "feed-rss": lambda v: v.open("/feeds/rss.xml"),
    "feed-atom-section": lambda v: v.open("/feeds/world/atom.xml"),
    "feed-json": lambda v: v.open("/feeds/feed.json"),
    "feeds-index": lambda v: v.open("/feeds/"),
    "archive": lambda v: v.open("/digests/"),
    "archive-feed": lambda v: v.open("/digests/feed.xml"),
    "edition": lambda v: v.open(f"/digests/{edition_of(v.site)}/"),
}


@pytest.fixture(scope="module")
def visit(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visit]:
    site = copy_site(published, tmp_path_factory.mktemp("accessible-site"))
    browser = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        with serving(app_for(site)) as port:
            yield Visit(site, f"http://127.0.0.1:{port}", browser)
    finally:
        browser.close()


@pytest.fixture(scope="module")
def arabic(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visit]:
    """The site offering Arabic too, to a browser that asks for it."""
    site = offer_languages(copy_site(published, tmp_path_factory.mktemp("arabic-site")), "ar")
    browser = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        browser.speak("ar")
        with serving(app_for(site)) as port:
            yield Visit(site, f"http://127.0.0.1:{port}", browser)
    finally:
        browser.close()


@pytest.mark.parametrize("name", ["front", "sign-up", "feed-rss", "not-found"])
def test_a_right_to_left_reader_gets_the_pages_mirrored(
    arabic: Visit, name: str, tmp_path: Path
) -> None:
    browser = arabic.browser
    browser.view(375)
    PAGES[name](arabic)
    assert browser.evaluate("[document.documentElement.lang, document.dir]") == ["ar", "rtl"]
    assert browser.axe() == []
    assert browser.overflow() == 0
    # Addresses read left to right inside the right-to-left page.
    boxes = "[...document.querySelectorAll('input[type=email], input[readonly]')]"
    assert set(browser.evaluate(f"{boxes}.map(box => getComputedStyle(box).direction)")) <= {"ltr"}
    browser.screenshot(shots_folder(tmp_path) / f"{name}-375-arabic.png")


def test_axe_finds_what_it_should(visit: Visit) -> None:
    """The check can fail: a field without a label and grey on grey are found."""
    page = (
        "<!doctype html><html lang=en><head><title>t</title></head><body><main>"
        "<p style='color:#bbb;background:#ccc'>faint</p><input></main></body></html>"
    )
    visit.browser.open("data:text/html," + quote(page))
    found = {v["id"]: v["impact"] for v in visit.browser.axe()}
    assert found.get("label") == "critical" and found.get("color-contrast") == "serious"


def shots_folder(tmp_path: Path) -> Path:
    wanted = os.environ.get("SYNDICATE_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def described(violations: list[dict[str, object]]) -> str:
    return "\n".join(f"{v['impact']} {v['id']}: {v['help']} {v['nodes']}" for v in violations)


@pytest.mark.parametrize("name", list(PAGES))
def test_a_person_can_read_and_use_the_page(visit: Visit, name: str, tmp_path: Path) -> None:
    browser = visit.browser
    for dark in (False, True):
        scheme = "dark" if dark else "light"
        browser.view(800, dark=dark)
        PAGES[name](visit)
        violations = browser.axe()
        serious = [v for v in violations if v["impact"] in SERIOUS]
        assert not serious, f"{scheme}:\n{described(serious)}"
        rest = [v for v in violations if v["id"] not in LEFT.get(name, set())]
        assert not rest, f"{scheme}:\n{described(rest)}"
        for width in WIDTHS:
            browser.view(width, dark=dark)
            assert browser.overflow() == 0, f"{scheme}: scrolls sideways at {width} px"
            if width in SHOTS:
                shot = shots_folder(tmp_path) / f"{name}-{width}-{scheme}.png"
                browser.screenshot(shot)
                assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    blocked = [
        e["entry"]["text"]
        for e in browser.events("Log.entryAdded")
        if "Content Security Policy" in e["entry"]["text"]
    ]
    assert blocked == []
