"""The shape of a feed beyond its elements: the attributes each RSS element defines,
text where only elements belong, xml:lang values, and a DOCTYPE that points nowhere."""

from __future__ import annotations

import re

from lxml import etree

from syndicate.validate.datatypes import language
from syndicate.validate.xmldoc import ATOM, RDF, RSS090, RSS10, XHTML, XML, XmlChecks

# The attributes (without a namespace) that RSS 0.91 to 2.0 define, by element; the
# others define none. Attributes in a namespace belong to extensions.
RSS_ATTRIBUTES: dict[str, frozenset[str]] = {
    "rss": frozenset({"version"}),
    "guid": frozenset({"isPermaLink"}),
    "enclosure": frozenset({"url", "length", "type"}),
    "source": frozenset({"url"}),
    "category": frozenset({"domain"}),
    "cloud": frozenset({"domain", "port", "path", "registerProcedure", "protocol"}),
}
# Namespaces of vocabularies that define no attribute for RSS 2.0's own elements (RDF's
# rdf:about belongs to RSS 1.0): one of theirs there is an error, as the W3C validator
# rates an attribute of a namespace it knows. Others are extensions' business.
_NOT_ON_RSS = frozenset(
    {
        RDF,
        RSS10,
        "http://purl.org/dc/elements/1.1/",
        "http://purl.org/dc/terms/",
        "http://purl.org/rss/1.0/modules/content/",
        "http://purl.org/rss/1.0/modules/syndication/",
        "http://purl.org/rss/1.0/modules/slash/",
    }
)
# Elements of RSS that hold other elements, where text between them is a stray.
RSS_CONTAINERS = frozenset(
    {"rss", "channel", "item", "image", "textInput", "textinput", "skipHours", "skipDays"}
)
# The RDF attributes each RSS 1.0 element may carry.
RDF_ATTRIBUTES: dict[str, frozenset[str]] = {
    "li": frozenset({"resource"}),
    "Seq": frozenset(),
    "Bag": frozenset(),
    "RDF": frozenset(),
}
RDF_CONTAINERS = frozenset({"channel", "item", "image", "textinput", "items", "RDF", "Seq"})
# Netscape's DTD for RSS 0.91 is no longer served where it was.
_NETSCAPE_DTD = re.compile(
    r"<!DOCTYPE\s+rss\s+PUBLIC\s+[\"'][^\"']*[\"']\s+[\"']https?://my\.netscape\.com/",
    re.IGNORECASE,
)


def rss_shape(checks: XmlChecks) -> None:
    """Undefined attributes and stray text in an RSS 0.9x/2.0 document's own elements."""
    for element in checks.document.root.iter(etree.Element):
        if etree.QName(element).namespace is not None:
            continue
        name = str(element.tag)
        allowed = RSS_ATTRIBUTES.get(name, frozenset())
        for attribute in element.attrib:
            namespace = etree.QName(attribute).namespace
            if namespace is None and attribute not in allowed:
                checks.flag(
                    element, "unknown-attribute", f"<{name}> has no attribute {attribute!s}"
                )
            elif namespace in _NOT_ON_RSS:
                shown = f"{{{namespace}}}{etree.QName(attribute).localname}"
                checks.flag(element, "unknown-attribute", f"<{name}> takes no attribute {shown}")
        if name in RSS_CONTAINERS:
            checks.only_elements(element, f"<{name}>")


def rdf_shape(checks: XmlChecks) -> None:
    """RDF attributes an RSS 1.0 element does not take (a misspelt rdf:resource on a
    list item), and stray text between elements."""
    for element in checks.document.root.iter(etree.Element):
        name = etree.QName(element)
        if name.namespace == RDF and name.localname in RDF_ATTRIBUTES:
            allowed = RDF_ATTRIBUTES[name.localname]
            for attribute in element.attrib:
                qualified = etree.QName(attribute)
                if qualified.namespace in (RDF, None) and qualified.localname not in allowed:
                    checks.flag(
                        element,
                        "unknown-attribute",
                        f"<rdf:{name.localname}> has no attribute {qualified.localname}",
                    )
        if name.namespace in (RDF, RSS10, RSS090) and name.localname in RDF_CONTAINERS:
            checks.only_elements(element, f"<{name.localname}>")


ATOM_CONTAINERS = frozenset({"feed", "entry", "author", "contributor", "source"})


def atom_shape(checks: XmlChecks) -> None:
    """Text between the elements of an Atom feed, entry, person or source."""
    for element in checks.document.root.iter(*(f"{{{ATOM}}}{n}" for n in ATOM_CONTAINERS)):
        checks.only_elements(element, f"<{etree.QName(element).localname}>")


def languages(checks: XmlChecks) -> None:
    """xml:lang values: a language tag (RFC 5646), or empty (XML 1.0 2.12: unknown)."""
    lang = f"{{{XML}}}lang"
    for element in checks.document.root.iter(etree.Element):
        value = element.get(lang)
        if value:
            problem = language(value)
            if problem is not None:
                checks.flag(element, problem[0], f"xml:lang: {problem[1]}")


# Robots directives a feed's channel may give in an XHTML <meta> (Yahoo's publisher
# guidelines, as the W3C validator reads them).
_ROBOTS = frozenset(
    {"all", "none", "index", "noindex", "follow", "nofollow"}
    | {f"{a},{b}" for a in ("index", "noindex") for b in ("follow", "nofollow")}
    | {f"{a},{b}" for a in ("follow", "nofollow") for b in ("index", "noindex")}
)


def robots_meta(checks: XmlChecks) -> None:
    """<meta name="robots" content="noindex"> (XHTML) in a channel: the one name it
    takes, and robots directives as its content."""
    for meta in checks.document.root.iter(f"{{{XHTML}}}meta"):
        name, content = meta.get("name"), meta.get("content")
        if name is None or content is None:
            checks.flag(meta, "missing-element", "<meta> needs a name and a content attribute")
        elif name.strip().lower() != "robots":
            checks.flag(meta, "bad-value", f'a feed\'s <meta> is name="robots", not {name!r}')
        elif content.strip().lower().replace(" ", "") not in _ROBOTS:
            checks.flag(meta, "bad-value", f"<meta> content is a robots directive: {content!r}")


def deprecated_dtd(checks: XmlChecks) -> None:
    head = checks.document.text[:2000]
    if _NETSCAPE_DTD.search(head):
        line = head[: head.find("<!DOCTYPE")].count("\n") + 1 if "<!DOCTYPE" in head else 1
        checks.report.add(
            "deprecated-dtd",
            "Netscape's RSS 0.91 DTD is gone: use http://www.rssboard.org/rss-0.91.dtd or none",
            line,
            1,
        )
