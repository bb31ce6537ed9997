"""Atom Threading Extensions (RFC 4685, https://www.rfc-editor.org/rfc/rfc4685), namespace
http://purl.org/syndication/thread/1.0.

thr:in-reply-to says what an entry (or a feed) responds to (section 3), thr:total how many
responses an entry has (section 5); the thr:count and thr:updated attributes describe
the responses behind an Atom link with rel="replies" (section 4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate.datatypes import mime_type, non_negative_integer, rfc3339, uri
from syndicate.validate.extensions.history import relation
from syndicate.validate.extensions.vocabulary import (
    FEED_OR_ITEM,
    ITEM,
    Element,
    Vocabulary,
    shown_name,
)
from syndicate.validate.xmldoc import ATOM

if TYPE_CHECKING:
    from syndicate.validate.datatypes import Check
    from syndicate.validate.xmldoc import XmlChecks

THR = "http://purl.org/syndication/thread/1.0"
# Section 4: the attributes a replies link may carry, with their types.
REPLIES_ATTRIBUTES: dict[str, Check] = {"count": non_negative_integer, "updated": rfc3339}


def _document(checks: XmlChecks, root: etree._Element) -> None:
    """The threading attributes, on whatever element they stand."""
    for element in root.iter(etree.Element):
        for name, value in element.attrib.items():
            qualified = etree.QName(name)
            if qualified.namespace == THR:
                _attribute(checks, element, qualified.localname, str(value))


def _attribute(checks: XmlChecks, element: etree._Element, name: str, value: str) -> None:
    where = shown_name(element)
    if element.tag != f"{{{ATOM}}}link":
        checks.flag(element, "unknown-attribute", f"{where} has no attribute thr:{name}")
    elif name == "when":
        # thr:when was in the drafts; the RFC names it thr:updated.
        checks.flag(element, "unknown-attribute", f"{where}: thr:when is obsolete, use thr:updated")
    elif name not in REPLIES_ATTRIBUTES:
        checks.flag(element, "unknown-attribute", f"{where} has no attribute thr:{name}")
    elif relation(element) != "replies":
        checks.flag(
            element, "unknown-attribute", f'thr:{name} belongs on a rel="replies" link only'
        )
    else:
        problem = REPLIES_ATTRIBUTES[name](value)
        if problem is not None:
            checks.flag(element, problem[0], f"{where} thr:{name}: {problem[1]}")


ELEMENTS = {
    # Section 3: ref is the id of the resource responded to (an IRI, as atom:id is);
    # href where to find it, source the feed it comes from (IRI references).
    "in-reply-to": Element(
        attributes={
            "ref": uri(iri=True),
            "href": uri(absolute=False, iri=True),
            "source": uri(absolute=False, iri=True),
            "type": mime_type,
        },
        within=FEED_OR_ITEM,
    ),
    # Section 5: the number of responses known to the entry's publisher.
    "total": Element(text=non_negative_integer, once=True, within=frozenset({ITEM})),
}

VOCABULARIES: tuple[Vocabulary, ...] = (Vocabulary((THR,), ELEMENTS, document=_document),)
