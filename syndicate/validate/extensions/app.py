"""The Atom Publishing Protocol's elements in Atom feeds and entries (RFC 5023,
https://www.rfc-editor.org/rfc/rfc5023): app:edited (10.2), app:control with app:draft
(13.1), and app:collection (8.3.3) with its app:accept and app:categories, judged by the
rules of service documents (syndicate/validate/app.py).

Service and category documents themselves are not feeds: validate_feed gives them to
AppChecks, not to this table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate.app import (
    APP,
    P,
    accept_rule,
    categories_rule,
    collection_rule,
)
from syndicate.validate.datatypes import rfc3339, yes_no
from syndicate.validate.extensions.vocabulary import (
    FEED_OR_ITEM,
    ITEM,
    Element,
    Vocabulary,
    shown_name,
)

if TYPE_CHECKING:
    from syndicate.validate.xmldoc import XmlChecks


def _in_atom_entry(checks: XmlChecks, element: etree._Element) -> None:
    """app:edited and app:control are children of an Atom entry, not of an RSS item."""
    if checks.report.kind != "atom":
        checks.flag(
            element,
            "unknown-element",
            f"{shown_name(element)} belongs in an Atom <entry> (RFC 5023)",
        )


WITHIN_COLLECTION = frozenset({f"{P}collection"})

APP_IN_FEEDS = Vocabulary(
    namespaces=(APP,),
    elements={
        # 10.2: when the entry was last edited, an RFC 3339 date-time.
        "edited": Element(text=rfc3339, once=True, within=frozenset({ITEM}), rule=_in_atom_entry),
        # 13.1: publishing controls; app:draft 'yes' keeps an entry unpublished.
        "control": Element(
            once=True, within=frozenset({ITEM}), holds_elements=True, rule=_in_atom_entry
        ),
        "draft": Element(text=yes_no, once=True, within=frozenset({f"{P}control"})),
        # 8.3.3: the collection that new entries of the feed are POSTed to, in the feed
        # or an entry's source. In an entry, the W3C validator only questions it (a
        # warning), so it is allowed there too. Its attributes, title and text are
        # checked by the rules of service documents.
        "collection": Element(
            attributes=None, once=True, within=FEED_OR_ITEM, rule=collection_rule
        ),
        "accept": Element(attributes=None, within=WITHIN_COLLECTION, rule=accept_rule),
        "categories": Element(attributes=None, within=WITHIN_COLLECTION, rule=categories_rule),
        # A workspace belongs in a service document only (8.3.2), not in a feed.
        "workspace": Element(attributes=None, within=frozenset({f"{P}service"})),
    },
)

VOCABULARIES: tuple[Vocabulary, ...] = (APP_IN_FEEDS,)
