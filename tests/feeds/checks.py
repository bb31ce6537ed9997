"""Independent checks of built feeds, used by the feed tests."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from syndicate.feeds import FeedSite, Positions, build_feeds, positions_in_memory
from syndicate.records import Article
from syndicate.templating import template_environment

ATOM_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "atom.rng"


def feed_site(**fields: Any) -> FeedSite:
    defaults: dict[str, Any] = {
        "title": "Harbour Courier",
        "base_url": "https://news.example.com/",
        "language": "en",
        "formats": ("rss", "atom", "json"),
        "entries": 50,
        "hubs": (),
        "generator": "syndicate",
        "version": "0.1.0",
    }
    defaults.update(fields)
    return FeedSite(**defaults)


def build(
    articles: list[Article],
    sections: list[str] | None = None,
    positions: Positions = positions_in_memory,
    **site: Any,
) -> dict[str, bytes]:
    sections = sections or sorted({a.section for a in articles})
    files = build_feeds(
        articles, sections, feed_site(**site), template_environment(None), positions
    )
    return {f.path: f.content for f in files}


@cache
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(ATOM_SCHEMA)))


def atom_errors(document: bytes) -> list[str]:
    schema = atom_schema()
    if schema.validate(etree.fromstring(document)):
        return []
    return [str(error) for error in schema.error_log]


def _absolute(url: object) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _rfc3339(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


FEED_KEYS = {
    "version", "title", "home_page_url", "feed_url", "description", "user_comment",
    "next_url", "icon", "favicon", "authors", "language", "expired", "hubs", "items",
}  # fmt: skip
ITEM_KEYS = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary",
    "image", "banner_image", "date_published", "date_modified", "authors", "tags",
    "language", "attachments",
}  # fmt: skip


def json_feed_errors(document: dict[str, Any]) -> list[str]:
    """The JSON Feed 1.1 rules (https://jsonfeed.org/version/1.1) a document breaks."""
    errors = []
    if document.get("version") != "https://jsonfeed.org/version/1.1":
        errors.append("version")
    if not isinstance(document.get("title"), str) or not document["title"]:
        errors.append("title")
    errors += [f"unknown key {k}" for k in document if k not in FEED_KEYS and not k.startswith("_")]
    for key in ("home_page_url", "feed_url", "next_url"):
        if key in document and not _absolute(document[key]):
            errors.append(key)
    for hub in document.get("hubs", []):
        if not isinstance(hub.get("type"), str) or not _absolute(hub.get("url")):
            errors.append("hubs")
    for author in document.get("authors", []):
        if not isinstance(author.get("name"), str):
            errors.append("authors")
    items = document.get("items")
    if not isinstance(items, list):
        return [*errors, "items"]
    ids = [item.get("id") for item in items]
    if len(set(map(str, ids))) != len(ids):
        errors.append("duplicate item id")
    for item in items:
        where = f"item {item.get('id')}"
        errors += [f"{where}: unknown key {k}" for k in item if k not in ITEM_KEYS]
        if not isinstance(item.get("id"), str) or not item["id"]:
            errors.append(f"{where}: id")
        if not isinstance(item.get("content_html"), str) and not isinstance(
            item.get("content_text"), str
        ):
            errors.append(f"{where}: content")
        for key in ("url", "image"):
            if key in item and not _absolute(item[key]):
                errors.append(f"{where}: {key}")
        for key in ("date_published", "date_modified"):
            if key in item and not _rfc3339(item[key]):
                errors.append(f"{where}: {key}")
        if "tags" in item and not all(isinstance(t, str) for t in item["tags"]):
            errors.append(f"{where}: tags")
    return errors
