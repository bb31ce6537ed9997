"""Files that come with the feeds: the OPML list, the XSL stylesheet, <link> tags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from lxml import etree

from syndicate._util.language import writing_direction
from syndicate._util.templating import default_templates_dir
from syndicate.feeds.model import MEDIA_TYPES, FeedFile, FeedScope, FeedSite
from syndicate.paths import DIGEST_FEED

KIND_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


@dataclass(frozen=True, slots=True)
class FeedLink:
    title: str
    url: str
    media_type: str
    home_url: str


def feed_links(scope: FeedScope, site: FeedSite) -> list[FeedLink]:
    return [
        FeedLink(
            title=f"{scope.title} ({KIND_NAMES[kind]})",
            url=site.feed_url(scope.path(kind)),
            media_type=MEDIA_TYPES[kind],
            home_url=scope.home_url,
        )
        for kind in site.formats
    ]


def digest_link(site: FeedSite) -> FeedLink:
    """The digest archive's Atom feed (digests/feed.xml, written with each edition)."""
    return FeedLink(
        title=f"{site.digest_title} (Atom)",
        url=f"{site.base_url}digests/{DIGEST_FEED}",
        media_type=MEDIA_TYPES["atom"],
        home_url=f"{site.base_url}digests/",
    )


def _feed_groups(scopes: list[FeedScope], site: FeedSite) -> list[tuple[str, list[FeedLink]]]:
    """Each scope's title and feeds, then the digest archive's: what the OPML and the
    feeds page list."""
    groups = [(scope.title, feed_links(scope, site)) for scope in scopes]
    if site.digest_title:
        groups.append((site.digest_title, [digest_link(site)]))
    return groups


def build_opml(scopes: list[FeedScope], site: FeedSite) -> FeedFile:
    """OPML 2.0 listing every feed, for readers that import a list of subscriptions."""
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = f"{site.title} feeds"
    body = etree.SubElement(opml, "body")
    for title, links in _feed_groups(scopes, site):
        group = etree.SubElement(body, "outline", text=title, title=title)
        for link in links:
            etree.SubElement(
                group,
                "outline",
                type="rss",
                text=link.title,
                title=link.title,
                xmlUrl=link.url,
                htmlUrl=link.home_url,
            )
    content = etree.tostring(opml, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return FeedFile("feeds.opml", content, "text/x-opml", is_feed=False)


def build_link_tags(scope: FeedScope, site: FeedSite, environment: jinja2.Environment) -> FeedFile:
    """`links.html`: the <link rel="alternate"> tags of one scope's feeds."""
    template = environment.get_template("feeds/links.html")
    links = feed_links(scope, site)
    if not scope.key and site.digest_title:
        links.append(digest_link(site))
    text = template.render(links=links)
    path = "links.html" if not scope.key else f"{scope.key}/links.html"
    return FeedFile(path, text.encode("utf-8"), "text/html", is_feed=False)


def build_feed_index(
    scopes: list[FeedScope], site: FeedSite, environment: jinja2.Environment
) -> FeedFile:
    """`index.html`: every feed of the site, its sections' and the digest archive's,
    each address in a box to copy into a feed reader. The page a site's "Subscribe"
    link can point to where another server serves feeds/ as files."""
    groups = [{"title": title, "links": links} for title, links in _feed_groups(scopes, site)]
    page = {"title": site.title, "url": site.base_url, "language": site.language}
    text = environment.get_template("feeds/index.html.j2").render(
        site=page | writing_direction(site.language), groups=groups
    )
    return FeedFile("index.html", text.encode("utf-8"), "text/html", is_feed=False)


def stylesheet_file(site: FeedSite, environment: jinja2.Environment) -> FeedFile:
    """feed.xsl: ours in the site's language; a site's own (templates/feeds/feed.xsl)
    as it is, since it was written as XSLT, not as a template."""
    loader = environment.loader
    if loader is None:  # every environment of templating.py has one
        raise TypeError("a template environment without a loader")
    source, filename, _ = loader.get_source(environment, "feeds/feed.xsl")
    if filename is None or not Path(filename).is_relative_to(default_templates_dir()):
        return FeedFile("feed.xsl", source.encode("utf-8"), "text/xsl", is_feed=False)
    page = {"language": site.language, **writing_direction(site.language)}
    text = environment.get_template("feeds/feed.xsl").render(site=page)
    return FeedFile("feed.xsl", text.encode("utf-8"), "text/xsl", is_feed=False)
