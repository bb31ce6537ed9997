"""RSS 2.0 and Atom 1.0 documents, built with feedgen."""

from __future__ import annotations

import hashlib
import html
from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from syndicate.feeds.model import (
    MEDIA_TYPES,
    FeedPage,
    FeedSite,
    entry_id,
    image_type,
    newest_update,
)
from syndicate.site.records import Article

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
MEDIA_NS = "http://search.yahoo.com/mrss/"


class _Links(BaseExtension):  # type: ignore[misc]
    """What feedgen leaves out of RSS (hub and paging links) and `fh:archive` in both."""

    def __init__(self) -> None:
        self.rss_links: list[dict[str, str]] = []
        self.archive = False
        self.media = False

    def extend_ns(self) -> dict[str, str]:
        namespaces = {"fh": HISTORY_NS} if self.archive else {}
        if self.media:
            namespaces["media"] = MEDIA_NS
        return namespaces

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        for link in self.rss_links:
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", link)
        if self.archive:
            etree.SubElement(channel, f"{{{HISTORY_NS}}}archive")
        return feed

    def extend_atom(self, feed: Any) -> Any:
        if self.archive:
            etree.SubElement(feed, f"{{{HISTORY_NS}}}archive")
        return feed


class _AtomEntry(BaseExtension):  # type: ignore[misc]
    """What feedgen 1.0 cannot say in an Atom entry: its links' rel, type and length (it
    drops them, which would turn an enclosure into a second alternate link), and the
    language the story is written in (xml:lang)."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []
        self.language = ""

    def extend_atom(self, entry: Any) -> Any:
        # feedgen builds Atom elements without a namespace and declares it on output.
        for old in entry.findall("link"):
            entry.remove(old)
        for link in self.links:
            etree.SubElement(entry, "link", link)
        if self.language:
            entry.set("{http://www.w3.org/XML/1998/namespace}lang", self.language)
        return entry


class _RssItem(BaseExtension):  # type: ignore[misc]
    """What feedgen cannot say in an RSS item: a description that reads literally, and
    an https image as media:content with its alt text (RSS 2.0, and the W3C validator,
    allow only http URLs in an enclosure)."""

    def __init__(self) -> None:
        self.summary = ""
        self.image: tuple[str, str | None, str] | None = None  # url, media type, alt text

    def extend_rss(self, item: Any) -> Any:
        description = item.find("description")
        if description is not None and self.summary:
            # Readers take a description as HTML: escaped, it shows as written.
            description.text = html.escape(self.summary, quote=False)
        if self.image is not None:
            url, kind, alt = self.image
            attributes = {"url": url, "medium": "image"} | ({"type": kind} if kind else {})
            content = etree.SubElement(item, f"{{{MEDIA_NS}}}content", attributes)
            text = etree.SubElement(content, f"{{{MEDIA_NS}}}description", type="plain")
            text.text = alt
        return item


def atom_updated(article: Article) -> datetime:
    """An entry's atom:updated, with a fraction of a second taken from its id where the
    time has none: readers and validators take two equal atom:updated values for a
    mistake, and stories loaded in one run without dates share their first-seen second.
    The fraction depends on the story alone, so it never moves when others arrive."""
    if article.updated.microsecond:
        return article.updated
    hashed = hashlib.sha256(article.id.encode("utf-8")).digest()
    return article.updated.replace(microsecond=int.from_bytes(hashed[:4]) % 999_999 + 1)


def build_xml(page: FeedPage, site: FeedSite, stylesheet: str | None) -> bytes:
    """One RSS or Atom document; the same page always gives the same bytes."""
    scope = page.scope
    generator = FeedGenerator()
    links = _Links()
    links.archive = page.archive
    generator.register_extension("syndicate", lambda: links, None)
    generator.load_extension("dc", atom=False, rss=True)
    self_url = site.feed_url(page.path)
    generator.id(self_url)
    generator.title(scope.title)
    generator.subtitle(f"Latest stories from {scope.title}")
    generator.language(site.language)
    generator.author({"name": site.title})
    generator.generator(site.generator, version=site.version)
    generator.link(href=self_url, rel="self", type=MEDIA_TYPES[page.kind])
    extra = [{"href": hub, "rel": "hub"} for hub in site.hubs if not page.archive]
    if page.prev_archive:
        extra.append({"href": site.feed_url(page.prev_archive), "rel": "prev-archive"})
    if page.archive:
        extra.append({"href": site.feed_url(page.current), "rel": "current"})
    for link in extra:
        generator.link(**link)
    links.rss_links = extra
    # feedgen makes the last link added RSS's <link>: the site or section page.
    generator.link(href=scope.home_url, rel="alternate", type="text/html")
    if page.entries:
        moment = newest_update(page.entries)
        generator.updated(moment)
        generator.lastBuildDate(moment)
    host = site.host
    for article in page.entries:
        has_media = _add_entry(generator, article, site, host)
        links.media |= has_media and page.kind == "rss"
    if page.kind == "rss":
        document = generator.rss_str(pretty=True)
    else:
        document = generator.atom_str(pretty=True)
    return _with_stylesheet(document, stylesheet)


def _add_entry(generator: FeedGenerator, article: Article, site: FeedSite, host: str) -> bool:
    """Add one entry; True where its RSS item carries a media:content element."""
    entry = generator.add_entry(order="append")
    identifier = entry_id(article, host)
    entry.guid(identifier, permalink=identifier == article.url)
    entry.title(article.title)
    entry.link(href=article.url, rel="alternate", type="text/html")
    entry.register_extension("atom_extra", _AtomEntry, atom=True, rss=False)
    entry.atom_extra.links = [{"href": article.url, "rel": "alternate", "type": "text/html"}]
    entry.atom_extra.language = article.language
    entry.register_extension("rss_item", _RssItem, atom=False, rss=True)
    entry.published(article.published)
    entry.updated(atom_updated(article))
    for name in article.authors:
        entry.author({"name": name})
    if article.authors:
        entry.dc.dc_creator(list(article.authors))
    entry.category({"term": article.section, "label": article.section})
    for tag in article.tags:
        entry.category({"term": tag, "label": tag})
    if article.summary:
        entry.summary(article.summary)
        entry.rss_item.summary = article.summary
    if article.body:
        entry.content(article.body, type="html")
    if article.image is None:
        return False
    image = article.image
    kind = image_type(image.url)
    enclosure = {"href": image.url, "rel": "enclosure"} | ({"type": kind} if kind else {})
    entry.atom_extra.links.append(enclosure)
    if image.url.startswith("http:"):
        entry.enclosure(image.url, "0", kind or "application/octet-stream")
        return False
    entry.rss_item.image = (image.url, kind, image.alt)
    return True


def _with_stylesheet(document: bytes, stylesheet: str | None) -> bytes:
    """Insert the xml-stylesheet instruction after the XML declaration."""
    if stylesheet is None:
        return document
    declaration, rest = document.split(b"?>", 1)
    target = html.escape(stylesheet, quote=True)
    instruction = etree.tostring(etree.PI("xml-stylesheet", f'href="{target}" type="text/xsl"'))
    return declaration + b"?>\n" + instruction + rest
