"""Independent checks of built feeds, used by the feed tests."""

from __future__ import annotations

import json
from typing import Any

from syndicate._util.templating import template_environment
from syndicate.feeds import FeedSite, Positions, build_feeds, positions_in_memory
from syndicate.site.records import Article
from syndicate.validate import validate_feed


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


def atom_errors(document: bytes) -> list[str]:
    """The errors that `syndicate validate` finds in an Atom document (RELAX NG of RFC
    4287 included)."""
    return [f"{f.code}: {f.message}" for f in validate_feed(document, "atom.xml").errors]


def json_feed_errors(document: dict[str, Any]) -> list[str]:
    """The JSON Feed 1.1 rules (https://jsonfeed.org/version/1.1) a document breaks."""
    content = json.dumps(document).encode("utf-8")
    return [f"{f.code}: {f.message}" for f in validate_feed(content, "feed.json").errors]
