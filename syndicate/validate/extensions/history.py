"""Feed Paging and Archiving (RFC 5005, https://www.rfc-editor.org/rfc/rfc5005), namespace
http://purl.org/syndication/history/1.0.

fh:complete marks a complete feed (section 2), fh:archive an archive document (section 4).
The link relations of paged and archived feeds (first, last, previous, next, current,
prev-archive, next-archive) are Atom links, in an Atom feed or as atom:link in RSS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from lxml import etree

from syndicate.validate.extensions.vocabulary import (
    FEED,
    ITEM,
    Element,
    Vocabulary,
    place,
    shown_name,
)
from syndicate.validate.xmldoc import ATOM, RSS090, RSS10

if TYPE_CHECKING:
    from syndicate.validate.xmldoc import XmlChecks

FH = "http://purl.org/syndication/history/1.0"
# A registered relation may be written as its IANA URI (RFC 4287 section 4.2.7.2).
IANA_RELATIONS = "http://www.iana.org/assignments/relation/"
PAGING = frozenset({"first", "last", "previous", "next"})  # section 3
ARCHIVING = frozenset({"prev-archive", "next-archive"})  # section 4
HISTORY_RELATIONS = PAGING | ARCHIVING | {"current"}


def _empty(checks: XmlChecks, element: etree._Element) -> None:
    """fh:complete and fh:archive are empty markers (sections 2 and 4). (An fh element
    inside one is misplaced, and flagged so by the vocabulary's table.)"""
    for child in element.iterchildren(etree.Element):
        if etree.QName(child).namespace != FH:
            checks.flag(child, "unknown-element", f"{shown_name(element)} is empty")


def relation(link: etree._Element) -> str:
    """An Atom link's relation, 'alternate' when it has none (RFC 4287 4.2.7.2)."""
    rel = (link.get("rel") or "alternate").strip()
    return rel.removeprefix(IANA_RELATIONS)


def _href(link: etree._Element) -> str:
    """The link's target, resolved against xml:base as readers resolve it."""
    href = (link.get("href") or "").strip()
    try:
        return urljoin(link.base or "", href)
    except ValueError:  # a base or href urllib cannot split (an unclosed IPv6 bracket)
        return href


def feeds(root: etree._Element) -> Iterator[etree._Element]:
    """The feed-level elements whose links describe the document itself: an Atom feed,
    an RSS or RDF channel (an entry's atom:source describes another feed)."""
    name = etree.QName(root)
    if name.namespace == ATOM and name.localname == "feed":
        yield root
    for child in root.iterchildren(etree.Element):
        qualified = etree.QName(child)
        if qualified.localname == "channel" and qualified.namespace in (None, RSS10, RSS090):
            yield child


def _document(checks: XmlChecks, root: etree._Element) -> None:
    # The W3C validator applies RFC 5005's rules to Atom feeds, where paging links
    # are defined; an RSS channel's atom:link relations are left to readers.
    for feed in feeds(root):
        if etree.QName(feed).namespace == ATOM:
            _feed(checks, feed)
    _entry_links(checks, root)


def _feed(checks: XmlChecks, feed: etree._Element) -> None:
    links = [child for child in feed if child.tag == f"{{{ATOM}}}link"]
    selves = {_href(link) for link in links if relation(link) == "self"}
    complete = any(child.tag == f"{{{FH}}}complete" for child in feed)
    archive = any(child.tag == f"{{{FH}}}archive" for child in feed)
    rels = {relation(link) for link in links}
    for link in links:
        rel = relation(link)
        if complete and rel in PAGING | ARCHIVING:
            # Section 2: a complete feed holds every entry, so it neither pages nor archives.
            checks.flag(link, "feed-history", f'rel="{rel}" link in a complete feed')
        elif complete and rel == "current" and _href(link) not in selves:
            checks.flag(link, "feed-history", 'in a complete feed, rel="current" must be self')
    # Section 3: the first page has no previous page, the last no next one.
    for end, beyond in (("first", "previous"), ("last", "next")):
        if any(relation(link) == end and _href(link) in selves for link in links):
            for link in links:
                if relation(link) == beyond:
                    checks.flag(
                        link, "feed-history", f'rel="{beyond}" link in the {end} page of a feed'
                    )
    # Section 4: an archive SHOULD link to its subscription feed. Links to other archives
    # are not asked: the oldest has no earlier one, and next-archive is optional (where
    # archives link only to older ones, as syndicate's do, the oldest has neither; the
    # W3C validator's ArchiveIncomplete warning is wrong there).
    if archive and not complete and "current" not in rels:
        checks.flag(feed, "unclear-feed-history", 'an archive with no rel="current" link')


def _entry_links(checks: XmlChecks, root: etree._Element) -> None:
    """Paging and archive relations describe feed documents, not entries (sections 3, 4)."""
    for link in root.iter(f"{{{ATOM}}}link"):
        rel = relation(link)
        if rel in HISTORY_RELATIONS and place(link) == ITEM:
            checks.flag(
                link, "unclear-feed-history", f'rel="{rel}" is a feed relation, found in an entry'
            )


ELEMENTS = {
    "complete": Element(within=frozenset({FEED}), holds_elements=True, rule=_empty),
    "archive": Element(within=frozenset({FEED}), holds_elements=True, rule=_empty),
}

VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary((FH,), ELEMENTS, document=_document, always=True, attributes=frozenset()),
)
