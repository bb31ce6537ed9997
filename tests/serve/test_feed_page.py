"""Feeds for people: a browser that opens a feed gets a page made of it, a feed reader
gets the file as it is (with its ETag and 304), and both answers say Vary: Accept."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from syndicate.serve.feed_page import channel_title, prefers_html, read_feed
from tests.factories import markdown_record
from tests.serve.published import EXAMPLE_BASE, app_for
from tests.serve.server import media_type, page

CHROMIUM = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
READERS = [
    None,
    "*/*",
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8",
    "application/atom+xml,application/rss+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7",
    "text/html;q=0.5, application/rss+xml",  # HTML, but not first
    "text/html, */*",  # a tie: the file
    "application/feed+json",
]


def varies(response: Any) -> list[str]:
    return [name.strip() for name in response.headers.get("vary", "").split(",")]


@pytest.mark.parametrize("accept", [CHROMIUM, FIREFOX, "text/html"])
def test_a_browser_ranks_html_first(accept: str) -> None:
    assert prefers_html(accept)


@pytest.mark.parametrize("accept", READERS)
def test_a_feed_reader_does_not(accept: str | None) -> None:
    assert not prefers_html(accept)


@pytest.mark.parametrize(
    "accept", ["text/html;q=nan, */*;q=0.1", "text/html;q=x", "text/html;q=-1"]
)
def test_a_weight_that_is_no_number_counts_as_none(accept: str) -> None:
    assert not prefers_html(accept)


@given(st.text(max_size=300))
def test_any_header_gets_an_answer(accept: str) -> None:
    assert prefers_html(accept) in (True, False)


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml", "feed.json", "world/rss.xml"])
def test_a_browser_gets_a_page_of_the_feed(reader: TestClient, shared: Path, name: str) -> None:
    response = reader.get(f"/feeds/{name}", headers={"accept": CHROMIUM})
    assert response.status_code == 200 and media_type(response) == "text/html"
    assert "Accept" in varies(response)
    document = page(response)
    url = f"{EXAMPLE_BASE}feeds/{name}"
    assert document.xpath("//input[@id='feed-url']/@value") == [url]
    assert document.xpath("//input[@id='feed-url']/@readonly") == ["readonly"]
    assert document.xpath("//label[@for='feed-url']")  # a label for the copy box
    buttons = document.xpath("//a[@class='button']/@href")
    assert f"https://www.inoreader.com/?add_feed={quote(url, safe='')}" in buttons
    stories = [link.text_content() for link in document.xpath("//ol[@class='stories']/li/h3/a")]
    source = (shared / "feeds" / name).read_bytes()
    view = read_feed(source)
    assert view is not None and view.stories
    assert stories == [story.title for story in view.stories if story.link]
    if not name.endswith(".json"):  # what a feed reader makes of the same document
        assert stories == [entry.title for entry in feedparser.parse(source).entries]


def test_the_digest_archives_feed_is_a_page_for_a_browser_too(
    reader: TestClient, shared: Path
) -> None:
    response = reader.get("/digests/feed.xml", headers={"accept": CHROMIUM})
    assert media_type(response) == "text/html" and "Accept" in varies(response)
    document = page(response)
    assert document.xpath("//input[@id='feed-url']/@value") == [f"{EXAMPLE_BASE}digests/feed.xml"]
    assert document.xpath("string(//p[@class='kicker'])") == "Atom"
    editions = document.xpath("//ol[@class='stories']/li/h3/a/@href")
    assert editions and all(link.startswith(f"{EXAMPLE_BASE}digests/") for link in editions)
    # A feed reader, and the archive's other files, as they are.
    file = reader.get("/digests/feed.xml")
    assert media_type(file) == "application/atom+xml"
    assert file.content == (shared / "digests" / "feed.xml").read_bytes()
    assert media_type(reader.get("/digests/", headers={"accept": CHROMIUM})) == "text/html"


@pytest.mark.parametrize(
    "document",
    [
        "<rss><channel><image><title>Logo</title></image>"
        "<title> The  Site </title></channel></rss>",
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A story</title></entry>'
        "<title>The Site</title></feed>",
    ],
)
def test_a_feeds_own_title_is_its_channels(tmp_path: Path, document: str) -> None:
    (tmp_path / "feed.xml").write_text(document, "utf-8")
    assert channel_title(tmp_path / "feed.xml") == "The Site"


def test_a_file_that_is_no_feed_has_no_title(tmp_path: Path) -> None:
    entities = '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
    for text in (
        "not xml",
        "<rss><channel></channel></rss>",
        entities + "<rss><channel><title>&b;</title></channel></rss>",
    ):
        (tmp_path / "feed.xml").write_text(text, "utf-8")
        assert channel_title(tmp_path / "feed.xml") is None, text
    assert channel_title(tmp_path / "missing.xml") is None


def test_a_changed_document_gives_a_new_page(client: TestClient, site: Path) -> None:
    before = page(client.get("/feeds/rss.xml", headers={"accept": CHROMIUM}))
    document = site / "feeds" / "rss.xml"
    document.write_bytes(document.read_bytes().replace(b"<title>", b"<title>Changed ", 1))
    after = page(client.get("/feeds/rss.xml", headers={"accept": CHROMIUM}))
    assert after.xpath("string(//h1)") == "Changed " + before.xpath("string(//h1)")


def test_a_feed_reader_gets_the_file_and_its_304(reader: TestClient, shared: Path) -> None:
    response = reader.get("/feeds/rss.xml")
    assert media_type(response) == "application/rss+xml"
    assert response.content == (shared / "feeds" / "rss.xml").read_bytes()
    assert "Accept" in varies(response)
    again = reader.get("/feeds/rss.xml", headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304 and "Accept" in varies(again)
    browser = reader.get("/feeds/rss.xml", headers={"accept": FIREFOX})
    assert media_type(browser) == "text/html" and "etag" not in browser.headers


def test_the_feeds_folder_is_the_page_of_every_feed(reader: TestClient) -> None:
    response = reader.get("/feeds/")
    assert response.status_code == 200 and media_type(response) == "text/html"
    boxes = page(response).xpath("//input[@readonly]/@value")
    assert f"{EXAMPLE_BASE}feeds/rss.xml" in boxes
    assert f"{EXAMPLE_BASE}digests/feed.xml" in boxes  # the digest archive's, too


@pytest.mark.parametrize("path", ["/feeds/%00/rss.xml", "/feeds/" + "a" * 300 + "/rss.xml"])
def test_a_path_no_file_can_have_is_a_404_for_browsers_too(reader: TestClient, path: str) -> None:
    assert reader.get(path, headers={"accept": CHROMIUM}).status_code == 404


def test_the_page_points_back_at_its_feed_in_the_sites_language(reader: TestClient) -> None:
    document = page(reader.get("/feeds/atom.xml", headers={"accept": CHROMIUM}))
    (link,) = document.xpath("/html/head/link[@rel='alternate']")
    assert (link.get("type"), link.get("href")) == (
        "application/atom+xml",
        f"{EXAMPLE_BASE}feeds/atom.xml",
    )
    assert document.xpath("//ol[@class='stories']/@lang") == ["en"]


def test_other_files_are_never_pages(reader: TestClient) -> None:
    for name in ("feeds.opml", "links.html", "feed.xsl"):
        response = reader.get(f"/feeds/{name}", headers={"accept": CHROMIUM})
        assert response.status_code == 200, name
        assert media_type(response) != "text/html" or name == "links.html"
    assert reader.get("/feeds/nothing.xml", headers={"accept": CHROMIUM}).status_code == 404


def test_a_hostile_story_stays_text(tmp_path: Path) -> None:
    from syndicate import api

    root = tmp_path / "site"
    (root / "articles" / "world").mkdir(parents=True)
    (root / "syndicate.toml").write_text(
        '[site]\ntitle = "Courier"\nbase_url = "https://news.example.com/"\n'
    )
    hostile = "<script>alert(1)</script> & <b>bold</b>"
    front = {"title": hostile, "section": "World", "summary": hostile, "published": "2026-12-01"}
    (root / "articles" / "world" / "x.md").write_text(markdown_record(front), "utf-8")
    assert not api.publish(root, {}).errors
    with TestClient(app_for(root)) as client:
        response = client.get("/feeds/rss.xml", headers={"accept": CHROMIUM})
    assert media_type(response) == "text/html"
    assert "<script>" not in response.text and "<b>" not in response.text
    # Shown as the text it is, in the title and in the summary alike.
    shown = page(response).xpath("//ol[@class='stories']/li")[0]
    assert shown.xpath("string(h3/a)") == hostile
    assert shown.xpath("string(p)") == hostile
