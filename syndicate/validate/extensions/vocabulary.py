"""How an extension vocabulary is described: its elements, where each may stand, its
attributes and value types, and the rules a table cannot say."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate.datatypes import Check
from syndicate.validate.xmldoc import ATOM, RDF, RSS090, RSS10

if TYPE_CHECKING:
    from syndicate.validate.xmldoc import XmlChecks

# Where an element stands, by its parent: the feed (an RSS or RDF channel, an Atom feed
# or an entry's source), an item (an RSS or RDF item, an Atom entry), or the parent's
# own name in Clark notation ('{namespace}name') for elements inside other elements.
FEED = "feed"
ITEM = "item"
FEED_OR_ITEM = frozenset({FEED, ITEM})
ANYWHERE: frozenset[str] = frozenset()  # no rule on the parent

Rule = Callable[["XmlChecks", etree._Element], None]


@dataclass(frozen=True)
class Element:
    """What a vocabulary says of one of its elements.

    `text`: the check of its text (None: any text). `attributes`: the attributes
    without a namespace that it may carry, each with its check (None: any value);
    None instead of a mapping leaves attributes alone. `required`: attributes it
    must carry. `once`: at most one per parent. `within`: the places it may stand
    (see FEED, ITEM; ANYWHERE: no rule). `holds_elements`: it holds elements, not
    text. `rule`: what the table cannot say, run after the table's checks.
    """

    text: Check | None = None
    attributes: Mapping[str, Check | None] | None = field(default_factory=dict)
    required: tuple[str, ...] = ()
    once: bool = False
    within: frozenset[str] = FEED_OR_ITEM
    holds_elements: bool = False
    rule: Rule | None = None


@dataclass(frozen=True)
class Vocabulary:
    """An extension namespace whose every element is known: one it does not define is
    an error (the W3C validator's UndefinedElement). `document`: rules across its
    elements, run once on the root of a document that uses the namespace (an element
    or an attribute in it), or of every document where `always` (RFC 5005's paging
    relations are Atom links that need no element of its namespace). `attributes`: the
    attributes in its namespace that it defines, on any element (None: not checked);
    another one is unknown-attribute."""

    namespaces: tuple[str, ...]
    elements: Mapping[str, Element]
    document: Rule | None = None
    always: bool = False
    attributes: frozenset[str] | None = None


_FEEDS = frozenset({"channel", "feed", "source"})
_ITEMS = frozenset({"item", "entry"})
_CORE = frozenset({None, ATOM, RSS10, RSS090})


def place(element: etree._Element) -> str:
    """Where `element` stands: FEED, ITEM, or its parent's Clark name."""
    parent = element.getparent()
    if parent is None:
        return ""
    name = etree.QName(parent)
    if name.namespace in _CORE:
        if name.localname in _FEEDS:
            return FEED
        if name.localname in _ITEMS:
            return ITEM
    if name.namespace == RDF and name.localname == "RDF":
        return FEED
    return str(parent.tag)


def shown_name(element: etree._Element) -> str:
    """The element's name as the document writes it (with its prefix)."""
    local = etree.QName(element).localname
    return f"<{element.prefix}:{local}>" if element.prefix else f"<{local}>"
