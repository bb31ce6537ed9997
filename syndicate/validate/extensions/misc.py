"""The small RSS modules whose every element is known: content
(https://web.resource.org/rss/1.0/modules/content/), slash, syndication (sy), admin,
wfw (Comment API), trackback, blogChannel, Creative Commons (Userland), Bloglines' access
restriction, and the Conversations Network's podcast ratings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate.datatypes import (
    non_negative_decimal,
    non_negative_integer,
    one_of,
    positive_integer,
    uri,
    uri_problem,
    w3cdtf,
    web_url,
)
from syndicate.validate.extensions.vocabulary import (
    ANYWHERE,
    FEED,
    FEED_OR_ITEM,
    ITEM,
    Element,
    Vocabulary,
    shown_name,
)
from syndicate.validate.xmldoc import ATOM, RDF

if TYPE_CHECKING:
    from syndicate.validate.xmldoc import XmlChecks

_FEED = frozenset({FEED})
_ITEM = frozenset({ITEM})
_URI = uri()
_RESOURCE = f"{{{RDF}}}resource"


def rdf_resource(checks: XmlChecks, element: etree._Element) -> None:
    """In RSS 1.0 a link to another resource is its rdf:resource attribute."""
    resource = element.get(_RESOURCE)
    if resource is None:
        if checks.report.kind == "rdf":
            checks.flag(element, "missing-element", f"{shown_name(element)} needs rdf:resource")
        return
    problem = uri_problem(resource.strip())
    if problem is not None:
        checks.flag(element, problem[0], f"{shown_name(element)} rdf:resource: {problem[1]}")


def _trackback(checks: XmlChecks, element: etree._Element) -> None:
    """RSS 1.0 names the resource in rdf:resource; RSS 2.0 and Atom in the text."""
    if checks.report.kind == "rdf":
        rdf_resource(checks, element)
        return
    problem = uri_problem((element.text or "").strip())
    if problem is not None:
        checks.flag(element, problem[0], f"{shown_name(element)}: {problem[1]}")


def _resource_or_text(checks: XmlChecks, element: etree._Element) -> None:
    if element.get(_RESOURCE) is not None or checks.report.kind == "rdf":
        rdf_resource(checks, element)
        return
    problem = uri_problem((element.text or "").strip())
    if problem is not None:
        checks.flag(element, problem[0], f"{shown_name(element)}: {problem[1]}")


def _access_place(checks: XmlChecks, element: etree._Element) -> None:
    """Bloglines' access restriction stands on the document: the <rss> root, or an Atom
    <feed>."""
    parent = element.getparent()
    name = etree.QName(parent) if parent is not None else None
    if name is None or (name.namespace, name.localname) not in ((None, "rss"), (ATOM, "feed")):
        checks.flag(element, "unknown-element",
                    f"{shown_name(element)} belongs in <rss> or an Atom <feed>")  # fmt: skip


CONTENT = "http://purl.org/rss/1.0/modules/content/"
SLASH = "http://purl.org/rss/1.0/modules/slash/"
SYNDICATION = "http://purl.org/rss/1.0/modules/syndication/"
ADMIN = "http://webns.net/mvcb/"
WFW = "http://wellformedweb.org/CommentAPI/"
TRACKBACK = "http://madskills.com/public/xml/rss/module/trackback/"
BLOG_CHANNEL = "http://backend.userland.com/blogChannelModule"
CREATIVE_COMMONS = "http://backend.userland.com/creativeCommonsRssModule"
ACCESS = "http://www.bloglines.com/about/specs/fac-1.0"
CONVERSATIONS = "http://conversationsnetwork.org/rssNamespace-1.0/"

_RSS1_CONTENT = Element(within=ANYWHERE, attributes=None)
VOCABULARIES = (
    Vocabulary((CONTENT,), {
        "encoded": Element(within=_ITEM | _FEED, once=True, attributes=None),
        # RSS 1.0's richer form: content:items holding content:item with format/encoding.
        "items": _RSS1_CONTENT, "item": _RSS1_CONTENT, "format": _RSS1_CONTENT,
        "encoding": _RSS1_CONTENT,
    }),
    Vocabulary((SLASH,), {
        "comments": Element(within=_ITEM, once=True, text=non_negative_integer),
        "section": Element(within=_ITEM),
        "department": Element(within=_ITEM),
        "hit_parade": Element(within=_ITEM, once=True),
    }),
    Vocabulary((SYNDICATION,), {
        "updatePeriod": Element(within=_FEED, once=True, text=one_of(
            ("hourly", "daily", "weekly", "monthly", "yearly"), "sy:updatePeriod")),
        "updateFrequency": Element(within=_FEED, once=True, text=positive_integer),
        "updateBase": Element(within=_FEED, once=True, text=w3cdtf),
    }),
    Vocabulary((ADMIN,), {
        "generatorAgent": Element(within=_FEED, once=True, attributes=None,
                                  rule=rdf_resource),
        "errorReportsTo": Element(within=_FEED, once=True, attributes=None,
                                  rule=rdf_resource),
    }),
    Vocabulary((WFW,), {
        "comment": Element(within=_ITEM, once=True, text=_URI),
        "commentRss": Element(within=_ITEM, once=True, text=_URI),
        "commentRSS": Element(within=_ITEM, once=True, text=_URI),
    }),
    Vocabulary((TRACKBACK,), {
        "ping": Element(within=_ITEM, once=True, attributes=None, rule=_trackback),
        "about": Element(within=_ITEM, attributes=None, rule=_trackback),
    }),
    Vocabulary((BLOG_CHANNEL,), {
        "blogRoll": Element(within=_FEED, once=True, text=_URI),
        "mySubscriptions": Element(within=_FEED, once=True, text=_URI),
        "changes": Element(within=_FEED, once=True, text=_URI),
        "blink": Element(within=_FEED, once=True, text=_URI),
    }),
    Vocabulary((CREATIVE_COMMONS,), {
        "license": Element(within=FEED_OR_ITEM, attributes=None, rule=_resource_or_text),
    }),
    Vocabulary((ACCESS,), {
        "restriction": Element(
            within=ANYWHERE, once=True,
            attributes={"relationship": one_of(("allow", "deny"), "relationship")},
            required=("relationship",), rule=_access_place,
        ),
    }),
    Vocabulary((CONVERSATIONS,), {
        "introMilliseconds": Element(within=_ITEM, once=True, text=non_negative_integer),
        "image": Element(within=FEED_OR_ITEM, once=True, text=web_url),
        "ratingAverage": Element(within=FEED_OR_ITEM, once=True, text=non_negative_decimal),
        "ratingCount": Element(within=FEED_OR_ITEM, once=True, text=non_negative_integer),
        "ratingIndividual": Element(within=FEED_OR_ITEM, once=True, text=positive_integer),
        "ratingTimestamp": Element(within=FEED_OR_ITEM, once=True, text=w3cdtf),
    }),
)  # fmt: skip
