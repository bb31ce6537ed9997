"""digests/feed.xml: the digest archive as an Atom feed that readers and our own
validator read, listed wherever the site's feeds are."""

from __future__ import annotations

import gettext
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
from lxml import etree, html
from starlette.testclient import TestClient

from syndicate import api
from syndicate._util.language import catalogue
from syndicate.config import load_config
from syndicate.digests.archive_feed import ARCHIVE_FEED_ENTRIES, ArchivedEdition, archive_feed
from syndicate.serve.app import create_app
from syndicate.validate import validate_feed
from tests.digests import builders
from tests.factories import NOW, markdown_record, write_site

CONFIG = """\
[site]
title = "Harbour <Courier> & Co"
base_url = "https://news.example.com/"
sections = ["World", "Business"]
"""
SITE = replace(builders.SITE, title="Harbour <Courier> & Co", zone=ZoneInfo("UTC"))


def editions(count: int) -> list[ArchivedEdition]:
    """`count` editions, a day apart, newest first, as the archive lists them."""
    return [
        ArchivedEdition(
            f"2026-11-{30 - n:02d}",
            NOW - timedelta(days=n),
            f"Day {n} <of> & archive",
            n + 1,
            f"https://news.example.com/digests/2026-11-{30 - n:02d}/",
        )
        for n in range(count)
    ]


def test_an_entry_per_edition_newest_first_linking_its_web_copy() -> None:
    document = archive_feed(SITE, editions(3), gettext.NullTranslations())
    assert document is not None
    parsed = feedparser.parse(document)
    assert not parsed.bozo and parsed.version == "atom10"
    assert parsed.feed.title == "Harbour <Courier> & Co: Email digest archive"
    assert [entry.link for entry in parsed.entries] == [e.url for e in editions(3)]
    assert parsed.entries[0].title == "Day 0 <of> & archive"
    assert [entry.summary for entry in parsed.entries] == ["1 story", "2 stories", "3 stories"]
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {
        "alternate": "https://news.example.com/digests/",
        "self": "https://news.example.com/digests/feed.xml",
    }
    assert parsed.feed.updated.startswith(NOW.strftime("%Y-%m-%d"))
    report = validate_feed(document, "digests/feed.xml", now=NOW)
    assert not report.errors, report.errors


def test_the_newest_editions_only_and_none_before_the_first() -> None:
    document = archive_feed(SITE, editions(ARCHIVE_FEED_ENTRIES + 10), gettext.NullTranslations())
    assert document is not None
    assert len(feedparser.parse(document).entries) == ARCHIVE_FEED_ENTRIES
    assert archive_feed(SITE, [], gettext.NullTranslations()) is None


def test_in_the_sites_language() -> None:
    german = catalogue("de")
    document = archive_feed(SITE, editions(2), german)
    assert document is not None
    parsed = feedparser.parse(document)
    assert parsed.feed.title.endswith(german.gettext("Email digest archive"))
    assert parsed.entries[1].summary == german.ngettext("%(num)d story", "%(num)d stories", 2) % {
        "num": 2
    }
    assert german.gettext("Email digest archive") != "Email digest archive"


def story(title: str, section: str) -> str:
    front = {"title": title, "section": section, "published": NOW.isoformat()}
    return markdown_record({**front, "summary": f"What happened: {title}."})


def test_a_publish_writes_it_and_lists_it_with_the_feeds(tmp_path: Path) -> None:
    root = write_site(
        tmp_path,
        {
            "world/harbour.md": story("Harbour Reopens", "World"),
            "business/grain.md": story("Grain Merger", "Business"),
        },
        config=CONFIG,
    )
    report = api.publish(root, {})
    assert not report.errors
    feed = root / "digests" / "feed.xml"
    parsed = feedparser.parse(feed.read_bytes())
    (entry,) = parsed.entries
    assert entry.link.startswith("https://news.example.com/digests/") and entry.link.endswith("/")
    assert (root / "digests" / entry.link.rsplit("/", 2)[1] / "index.html").is_file()
    # The OPML and the site's <link> tags name it; a section's tags do not.
    opml = etree.fromstring((root / "feeds" / "feeds.opml").read_bytes())
    urls = [o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")]
    assert urls[-1] == "https://news.example.com/digests/feed.xml"
    assert "digests/feed.xml" in (root / "feeds" / "links.html").read_text()
    assert "digests/feed.xml" not in (root / "feeds" / "world" / "links.html").read_text()
    # The front page lists it, and names the sections as the site does.
    client = TestClient(create_app(load_config(root, {})))
    front = html.fromstring(client.get("/").content)
    titles = [a.text_content() for a in front.iter("a") if "/feeds/" in a.get("href", "")]
    assert "Harbour <Courier> & Co: World (RSS)" in titles
    served = client.get("/digests/feed.xml")
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/atom+xml; charset=utf-8"
    listed = [a.get("href") for a in front.iter("a")]
    assert "/digests/feed.xml" in listed
