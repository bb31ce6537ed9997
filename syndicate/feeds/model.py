"""What the feed builders take and give: plain values, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

from syndicate._util.urls import encode_url, is_web_url
from syndicate.site.records import Article
from syndicate.validate.datatypes import uri_problem

FEEDS_FOLDER = "feeds"
FILE_NAMES = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}
MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
# The date in our tag: URIs. Fixed, so that an entry's id never changes.
TAG_DATE = "2026"
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True, slots=True)
class FeedSite:
    """The site-wide facts every feed carries."""

    title: str
    base_url: str
    language: str
    formats: tuple[str, ...]
    entries: int
    hubs: tuple[str, ...]
    generator: str
    version: str
    # The title of the digest archive's feed (digests/feed.xml), in the site's language:
    # the OPML and the site's <link> tags list it beside the feeds.
    digest_title: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"

    def feed_url(self, path: str) -> str:
        return f"{self.base_url}{FEEDS_FOLDER}/{quote(path)}"


@dataclass(frozen=True, slots=True)
class FeedScope:
    """One feed's subject: the whole site, or one section."""

    key: str  # "" for the whole site, else the section's slug
    title: str
    home_url: str  # the site or section page the feed stands for
    articles: tuple[Article, ...]

    def path(self, kind: str) -> str:
        name = FILE_NAMES[kind]
        return name if not self.key else f"{self.key}/{name}"

    def archive_path(self, kind: str, number: int) -> str:
        folder = self.key or "site"
        suffix = "json" if kind == "json" else "xml"
        return f"archive/{folder}/{kind}-{number}.{suffix}"


@dataclass(frozen=True, slots=True)
class FeedPage:
    """The entries of one document: a subscription feed or an RFC 5005 archive page."""

    scope: FeedScope
    kind: str  # rss, atom or json
    path: str
    entries: tuple[Article, ...]  # newest first
    archive: bool
    prev_archive: str | None  # path of the next-older archive page
    current: str  # path of the subscription feed
    number: int = 0  # k for archive page k; 0 for the subscription feed


@dataclass(frozen=True, slots=True)
class FeedFile:
    """A built file: its path under `feeds/`, its bytes and its media type."""

    path: str
    content: bytes
    media_type: str
    is_feed: bool = True


# A fixed table, not the mimetypes module: that one reads /etc/mime.types, and the
# same input must give the same bytes on every machine.
IMAGE_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".jfif": "image/jpeg",
    ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
    ".svg": "image/svg+xml", ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff",
    ".ico": "image/vnd.microsoft.icon", ".heic": "image/heic", ".jxl": "image/jxl",
}  # fmt: skip


@lru_cache(maxsize=256)  # a story's image, looked up for its page in each format
def image_type(url: str) -> str | None:
    """The media type of an image URL by its extension; None where it is not known."""
    path = urlsplit(url).path.lower()
    extension = path[path.rfind(".") :] if "." in path.rsplit("/", 1)[-1] else ""
    return IMAGE_TYPES.get(extension)


def entry_id(article: Article, host: str) -> str:
    """A stable, absolute id: the article's own if it is a URI (a web one with its host;
    a tag: or urn: one as its RFC writes it), else a tag: URI."""
    if _HAS_SCHEME.match(article.id) and (
        is_web_url(article.id) or not article.id.lower().startswith(("http:", "https:"))
    ):
        own = encode_url(article.id)
        if uri_problem(own) is None:
            return own
    return f"tag:{tag_authority(host)},{TAG_DATE}:{quote(article.id, safe='/-._~')}"


@lru_cache(maxsize=64)
def tag_authority(host: str) -> str:
    """The host as RFC 4151 writes a tag's authority: a DNS name in ASCII, so an
    internationalised one in its IDNA form (xn--), never percent-encoded."""
    name = unquote(host).lower()
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:  # a label too long or empty: keep the letters a DNS name takes
        return re.sub(r"[^a-z0-9.-]", "-", name.encode("ascii", "replace").decode("ascii"))


def newest_update(entries: tuple[Article, ...]) -> datetime:
    return max(article.updated for article in entries)
