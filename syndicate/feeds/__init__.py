"""Build: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site and each section.

`build_feeds` is pure: articles in, files (path and bytes) out, the same bytes
for the same input. Writing them anywhere is dispatch's job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from urllib.parse import quote

import jinja2

from syndicate.feeds.extras import build_link_tags, build_opml, stylesheet_file
from syndicate.feeds.jsonfeed import build_json
from syndicate.feeds.model import MEDIA_TYPES, FeedFile, FeedScope, FeedSite, entry_id
from syndicate.feeds.paging import feed_order, paginate
from syndicate.feeds.xmlfeeds import build_xml
from syndicate.identity import unique_slug
from syndicate.records import Article
from syndicate.text import slugify

__all__ = [
    "FeedFile",
    "FeedScope",
    "FeedSite",
    "Positions",
    "build_feeds",
    "entry_id",
    "feed_scopes",
    "positions_in_memory",
]

# Section folders must not take the names of the site's own feed folders.
_RESERVED = {"archive", "site"}


def feed_scopes(
    articles: Sequence[Article], sections: Sequence[str], site: FeedSite
) -> list[FeedScope]:
    """The whole site, then each section that has articles, in the order of `sections`.

    Keys are given to every section in that order, those without articles too, so a
    section's folder does not change when another section gains its first story.
    """
    scopes = [FeedScope("", site.title, site.base_url, tuple(articles))]
    taken = set(_RESERVED)
    for section in sections:
        wanted = slugify(section) or "section"
        key = unique_slug(wanted if wanted not in _RESERVED else f"{wanted}-section", taken)
        members = tuple(a for a in articles if a.section == section)
        if members:
            home = f"{site.base_url}{quote(key)}/"
            scopes.append(FeedScope(key, f"{site.title}: {section}", home, members))
    return scopes


# (feed key, its stories' ids in feed order) -> each story's position in that feed,
# recording those of stories the feed has not carried before.
Positions = Callable[[str, Sequence[str]], Mapping[str, int]]


def positions_in_memory(key: str, ordered_ids: Sequence[str]) -> Mapping[str, int]:
    """Positions kept nowhere: 1, 2, 3... in feed order (tests, a one-off build)."""
    return {article_id: number for number, article_id in enumerate(ordered_ids, start=1)}


def build_feeds(
    articles: Sequence[Article],
    sections: Sequence[str],
    site: FeedSite,
    templates: jinja2.Environment,
    positions: Positions = positions_in_memory,
) -> Iterator[FeedFile]:
    """Every feed file, one at a time (a large site's archive never sits in memory whole)."""
    if not articles:
        return
    scopes = feed_scopes(articles, sections, site)
    stylesheet = site.feed_url("feed.xsl")
    for scope in scopes:
        placed = positions(scope.key or "site", [a.id for a in feed_order(scope.articles)])
        for kind in site.formats:
            for page in paginate(scope, kind, site.entries, placed):
                if kind == "json":
                    content = build_json(page, site)
                else:
                    content = build_xml(page, site, stylesheet)
                yield FeedFile(page.path, content, MEDIA_TYPES[kind])
        yield build_link_tags(scope, site, templates)
    yield build_opml(scopes, site)
    yield stylesheet_file(templates)
