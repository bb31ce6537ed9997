"""Build: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site and each section.

`build_feeds` makes files (path and bytes) from articles alone, the same bytes for the
same input. `plan_feeds` also keys each file with a hash of all it is made from (our
code included), so that a file whose key is that of the one published need not be
built. Writing them anywhere is publish.py's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from urllib.parse import quote

import jinja2

from syndicate._util.keys import code_stamp, key_of
from syndicate._util.text import slugify, unique_slug
from syndicate._version import __version__
from syndicate.config import LoadedConfig
from syndicate.feeds.extras import (
    build_feed_index,
    build_link_tags,
    build_opml,
    stylesheet_file,
)
from syndicate.feeds.jsonfeed import build_json
from syndicate.feeds.model import MEDIA_TYPES, FeedFile, FeedPage, FeedScope, FeedSite
from syndicate.feeds.paging import feed_order, paginate
from syndicate.feeds.xmlfeeds import build_xml
from syndicate.site.records import Article, article_fingerprint


def feed_site(config: LoadedConfig) -> FeedSite:
    """The site-wide facts of a site's feeds, from its config."""
    settings = config.settings
    return FeedSite(
        title=config.title,
        base_url=settings.site.base_url,
        language=settings.site.language,
        formats=tuple(settings.feeds.formats),
        entries=settings.feeds.entries,
        hubs=tuple(settings.feeds.hubs),
        generator="syndicate",
        version=__version__,
        digest_title=f"{config.title}: {config.messages().gettext('Email digest archive')}",
    )


# Section folders must not take the names of the site's own feed folders.
_RESERVED = {"archive", "site"}


def feed_scopes(
    articles: Sequence[Article], sections: Sequence[str], site: FeedSite
) -> list[FeedScope]:
    """The whole site, then each section that has articles, in the order of `sections`."""
    scopes = [FeedScope("", site.title, site.base_url, tuple(articles))]
    for key, section in _section_keys(sections):
        members = tuple(a for a in articles if a.section == section)
        if members:
            scopes.append(_section_scope(key, section, site, members))
    return scopes


def _section_keys(sections: Sequence[str]) -> Iterator[tuple[str, str]]:
    """Each section's folder name, given in the order of `sections` to all of them, those
    without articles too: a folder does not change when another section gains its first
    story."""
    taken = set(_RESERVED)
    for section in sections:
        wanted = slugify(section) or "section"
        yield (
            unique_slug(wanted if wanted not in _RESERVED else f"{wanted}-section", taken),
            section,
        )


def _section_scope(
    key: str, section: str, site: FeedSite, members: tuple[Article, ...]
) -> FeedScope:
    return FeedScope(key, f"{site.title}: {section}", f"{site.base_url}{quote(key)}/", members)


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
    for planned in plan_feeds(articles, sections, site, templates, positions, fingerprint=None):
        yield planned.build()


@dataclass(frozen=True, slots=True)
class PlannedFeed:
    """A file to build, with a key: a hash of everything its bytes are made from.

    Equal keys mean equal bytes, so a file whose key is that of the file already
    published need not be built at all. Files that cost less to build than to key
    (OPML, link tags, the stylesheet) have the key "" and are always built.
    """

    path: str
    key: str
    build: Callable[[], FeedFile]
    is_feed: bool = True


def plan_feeds(
    articles: Sequence[Article],
    sections: Sequence[str],
    site: FeedSite,
    templates: jinja2.Environment,
    positions: Positions = positions_in_memory,
    fingerprint: Callable[[Article], bytes] | None = article_fingerprint,
) -> Iterator[PlannedFeed]:
    """Every feed file `build_feeds` makes, keyed, in the same order, built on demand.

    `fingerprint` gives an article's fingerprint (the caller may have them already);
    with None, nothing is keyed (a build that will not look keys up)."""
    if not articles:
        return
    scopes = feed_scopes(articles, sections, site)
    stylesheet = site.feed_url("feed.xsl")
    common = "" if fingerprint is None else key_of(code_stamp(), site, stylesheet)
    for scope in scopes:
        placed = positions(scope.key or "site", [a.id for a in feed_order(scope.articles)])
        for kind in site.formats:
            for page in paginate(scope, kind, site.entries, placed):
                yield PlannedFeed(
                    page.path,
                    "" if fingerprint is None else _page_key(common, page, fingerprint),
                    PageBuild(page, site, stylesheet),
                )
        yield _always(partial(build_link_tags, scope, site, templates))
    yield from _site_extras(scopes, site, templates)


def plan_extras(
    section_counts: Mapping[str, int],
    sections: Sequence[str],
    site: FeedSite,
    templates: jinja2.Environment,
) -> Iterator[PlannedFeed]:
    """The files of `plan_feeds` that are not feed documents (link tags, OPML, the
    stylesheet), for a run that finds every feed document published as it is.

    They name the feeds, not their stories: the articles in each section are enough."""
    if not any(section_counts.values()):
        return
    scopes = [FeedScope("", site.title, site.base_url, ())]  # no stories: none are needed
    for key, section in _section_keys(sections):
        if section_counts.get(section):
            scopes.append(_section_scope(key, section, site, ()))
    for scope in scopes:
        yield _always(partial(build_link_tags, scope, site, templates))
    yield from _site_extras(scopes, site, templates)


def _site_extras(
    scopes: list[FeedScope], site: FeedSite, templates: jinja2.Environment
) -> Iterator[PlannedFeed]:
    yield _always(partial(build_opml, scopes, site))
    yield _always(partial(build_feed_index, scopes, site, templates))
    yield _always(partial(stylesheet_file, site, templates))


@dataclass(frozen=True, slots=True)
class PageBuild:
    """One feed document to build (call it): all it is made from, so that a worker
    process can build it too, given it `portable()`."""

    page: FeedPage
    site: FeedSite
    stylesheet: str

    def __call__(self) -> FeedFile:
        page, site = self.page, self.site
        if page.kind == "json":
            return FeedFile(page.path, build_json(page, site), MEDIA_TYPES["json"])
        document = build_xml(page, site, self.stylesheet)
        return FeedFile(page.path, document, MEDIA_TYPES[page.kind])

    def portable(self, scopes: dict[str, FeedScope]) -> PageBuild:
        """The same build without its scope's articles (a document needs only its own
        entries): what is sent to a worker. `scopes` keeps each bare scope, so that the
        builds of one batch share it."""
        scope = self.page.scope
        bare = scopes.setdefault(scope.key, replace(scope, articles=()))
        return PageBuild(replace(self.page, scope=bare), self.site, self.stylesheet)


def _page_key(common: str, page: FeedPage, fingerprint: Callable[[Article], bytes]) -> str:
    scope = page.scope
    head = (page.kind, page.path, page.archive, page.prev_archive, page.current)
    hasher = hashlib.blake2b(key_of(common, head, scope.key, scope.title, scope.home_url).encode())
    for article in page.entries:
        hasher.update(fingerprint(article))
    return hasher.hexdigest()


def _always(build: Callable[[], FeedFile]) -> PlannedFeed:
    built = build()
    return PlannedFeed(built.path, "", lambda: built, built.is_feed)
