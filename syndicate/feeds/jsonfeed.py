"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1): feedgen has none, so built here
from the same values as the RSS and Atom entries."""

from __future__ import annotations

import orjson

from syndicate.feeds.model import FeedPage, FeedSite, entry_id
from syndicate.site.records import Article

VERSION = "https://jsonfeed.org/version/1.1"


def build_json(page: FeedPage, site: FeedSite) -> bytes:
    scope = page.scope
    document: dict[str, object] = {
        "version": VERSION,
        "title": scope.title,
        "home_page_url": scope.home_url,
        "feed_url": site.feed_url(page.current),  # an archive page names its feed
        "description": f"Latest stories from {scope.title}",
        "language": site.language,
        "authors": [{"name": site.title}],
    }
    if page.prev_archive:
        document["next_url"] = site.feed_url(page.prev_archive)
    if site.hubs and not page.archive:
        document["hubs"] = [{"type": "WebSub", "url": hub} for hub in site.hubs]
    host = site.host
    document["items"] = [_item(article, site, host) for article in page.entries]
    # Keys in a fixed order and no clock anywhere: the same page gives the same bytes.
    # orjson writes what json.dumps(ensure_ascii=False, indent=2) does, five times
    # faster (tests/feeds/test_jsonfeed_bytes.py holds it to that).
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def _item(article: Article, site: FeedSite, host: str) -> dict[str, object]:
    item: dict[str, object] = {
        "id": entry_id(article, host),
        "url": article.url,
        "title": article.title,
    }
    if article.body:
        item["content_html"] = article.body
    else:
        item["content_text"] = article.summary or article.title
    if article.summary:
        item["summary"] = article.summary
    if article.image is not None:
        item["image"] = article.image.url
    item["date_published"] = article.published.isoformat()
    item["date_modified"] = article.updated.isoformat()
    if article.authors:
        item["authors"] = [{"name": name} for name in article.authors]
    item["tags"] = [article.section, *article.tags]
    item["language"] = article.language  # JSON Feed 1.1: the item's own
    return item
