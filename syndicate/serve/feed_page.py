"""Feeds for people: a browser that opens a feed asks for HTML first, and gets a page
made from the same document (what the feed is, its address to paste into a reader,
buttons for common readers, its stories); feed readers get the file as it is.

Browsers no longer apply the feeds' XSL stylesheet (Chromium removed XSLT), so without
this a reader who clicks "RSS" on a news site sees a wall of markup."""

from __future__ import annotations

import calendar
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import feedparser
from lxml import etree

from syndicate._util.text import one_line
from syndicate.site.sanitise import plain_text, shorten

_HTML = frozenset({"text/html", "application/xhtml+xml"})
# What a feed document answers besides HTML: its own types, XML, JSON, anything.
_FILE = frozenset(
    {"application/xml", "text/xml", "application/json", "*/*", "application/*", "text/*"}
)
# The feed documents of feeds/ by name (rss.xml, archive/world/atom-3.xml, feed-2.json),
# as files.py gives them their types; not the OPML, the stylesheet or links.html.
DOCUMENT = re.compile(r"(^|/)(rss(-\d+)?\.xml|atom(-\d+)?\.xml|feed\.json|json-\d+\.json)$")


def prefers_html(accept: str | None) -> bool:
    """Whether an Accept header ranks an HTML type above every type the feed file
    itself would answer (XML, JSON, the feed types, */*). No header: a feed reader."""
    if not accept:
        return False
    html = other = 0.0
    for item in accept.split(",")[:64]:
        media, *parameters = (part.strip() for part in item.split(";"))
        media = media.lower()
        weight = _weight(parameters)
        if media in _HTML:
            html = max(html, weight)
        elif media in _FILE or media.endswith(("+xml", "+json")):
            other = max(other, weight)
    return html > other


def _weight(parameters: Sequence[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value.strip())
            except ValueError:
                return 0.0
            return min(max(weight, 0.0), 1.0) if math.isfinite(weight) else 0.0
    return 1.0


@dataclass(frozen=True)
class Story:
    title: str
    link: str
    published: datetime | None
    summary: str


@dataclass(frozen=True)
class FeedView:
    """What a person sees of a feed: plain text only (escaped where it lands)."""

    title: str
    description: str
    stories: tuple[Story, ...]


def read_feed(content: bytes) -> FeedView | None:
    """The feed's title, description and stories; None if it cannot be
    read (the file is served as it is then)."""
    if content.lstrip()[:1] in (b"{", b"["):
        return _json_feed(content)
    parsed = feedparser.parse(content, sanitize_html=True, resolve_relative_uris=False)
    if parsed.get("bozo") and not parsed.get("entries") and not parsed.feed.get("title"):
        return None
    feed = parsed.feed
    stories = tuple(
        Story(
            title=_field(entry, "title"),
            link=_web_link(entry.get("link", "")),
            published=_moment(entry.get("published_parsed") or entry.get("updated_parsed")),
            summary=shorten(_field(entry, "summary")),
        )
        for entry in parsed.entries
    )
    return FeedView(_field(feed, "title"), _field(feed, "subtitle"), stories)


def _field(parsed: Mapping[str, Any], name: str) -> str:
    """A title or summary as text: feedparser says whether it is text or HTML (an RSS
    description is HTML, even when it holds text escaped)."""
    value = parsed.get(name, "")
    detail = parsed.get(f"{name}_detail") or {}
    if not isinstance(value, str):
        return ""
    if detail.get("type") in ("text/html", "application/xhtml+xml"):
        return plain_text(value)
    return one_line(value)


# A browser's page costs a feed read (about 30 ms for a 200 KB document); the views of
# the documents asked for lately are kept, by their bytes: a changed file is read anew.
read_feed_cached = lru_cache(maxsize=32)(read_feed)


def _json_feed(content: bytes) -> FeedView | None:
    try:
        document = json.loads(content)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    items = document.get("items")
    stories = tuple(
        Story(
            title=one_line(_string(item.get("title"))),
            link=_web_link(_string(item.get("url"))),
            published=_iso(_string(item.get("date_published"))),
            summary=shorten(
                one_line(_string(item.get("summary")) or _string(item.get("content_text")))
            ),
        )
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    )
    return FeedView(
        one_line(_string(document.get("title"))),
        one_line(_string(document.get("description"))),
        stories,
    )


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _web_link(value: str) -> str:
    """An http(s) link, or nothing (no javascript: in a page of ours)."""
    return value if value.startswith(("https://", "http://")) else ""


def _moment(parsed: object) -> datetime | None:
    """feedparser's date (a struct_time in UTC) as a datetime."""
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _iso(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Reader:
    """A feed reader that subscribes from a link, given the feed's address."""

    name: str
    pattern: str  # {url}: the feed's address, percent-encoded

    def link(self, url: str) -> str:
        return self.pattern.format(url=quote(url, safe=""))


READERS = (
    Reader("Feedly", "https://feedly.com/i/subscription/feed%2F{url}"),
    Reader("Inoreader", "https://www.inoreader.com/?add_feed={url}"),
    Reader("NewsBlur", "https://www.newsblur.com/?url={url}"),
    Reader("The Old Reader", "https://theoldreader.com/feeds/subscribe?url={url}"),
)


def channel_title(path: Path) -> str | None:
    """The title a feed file gives itself (RSS's channel title, Atom's feed title),
    read up to there and no further; None where it has none or cannot be read."""
    try:
        for _, element in etree.iterparse(
            str(path), events=("end",), resolve_entities=False, no_network=True, huge_tree=False
        ):
            parent = element.getparent()
            if etree.QName(element).localname != "title" or parent is None:
                continue
            owner = etree.QName(parent).localname
            if owner == "channel" or (owner == "feed" and parent.getparent() is None):
                return one_line(element.text or "") or None
    except (OSError, etree.XMLSyntaxError):
        return None
    return None
