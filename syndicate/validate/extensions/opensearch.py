"""OpenSearch 1.1 response elements in feeds (OpenSearch 1.1 Draft 6, "OpenSearch response
elements" and "OpenSearch Query element",
https://github.com/dewitt/opensearch/blob/master/docs/Specifications/OpenSearch/1.1/Draft%206.md):
totalResults, startIndex, itemsPerPage and Query, children of the channel or feed.

The elements of OpenSearch description documents (Url, ShortName, Image, ...) are not
response elements: in a feed they are undefined, as the W3C validator rates them. A
description document is not a feed, and is not validated as one. The response elements
of OpenSearch 1.0 (opensearchrss/1.0) are the first three, of the same types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate.datatypes import (
    Problem,
    charset,
    integer,
    language,
    max_length,
    non_negative_integer,
    url_encoded,
)
from syndicate.validate.extensions.vocabulary import FEED, Element, Vocabulary, shown_name

if TYPE_CHECKING:
    from syndicate.validate.xmldoc import XmlChecks

OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
OPENSEARCH_10 = "http://a9.com/-/spec/opensearchrss/1.0/"
IN_FEED = frozenset({FEED})
# "Local role values": the list is exhaustive; other roles carry a declared prefix.
ROLES = frozenset(("request", "example", "related", "correction", "subset", "superset"))


def _language_or_any(value: str) -> Problem | None:
    """The language parameter: an RFC 5646 tag, or '*' for any language."""
    return None if value.strip() == "*" else language(value)


def _role(checks: XmlChecks, query: etree._Element) -> None:
    """A local role of the list, or 'prefix:name' whose prefix is a declared namespace."""
    role = query.get("role")
    if role is None:
        return  # the table reports it missing
    if ":" in role:
        prefix = role.split(":", 1)[0]
        if not prefix or prefix not in query.nsmap:
            checks.flag(
                query,
                "bad-value",
                f"{shown_name(query)} role {role!r}: prefix {prefix!r} is not declared",
            )
    elif role not in ROLES:
        checks.flag(
            query,
            "bad-value",
            f"{shown_name(query)} role is one of {', '.join(sorted(ROLES))}, "
            f"or prefixed with a declared namespace, not {role!r}",
        )


def _blank_or_integer(value: str) -> Problem | None:
    """A whole number, or nothing (an empty startIndex takes the default, 1)."""
    return integer(value) if value.strip() else None


QUERY = Element(
    # Attributes are the search parameters; custom ones carry a namespace and pass.
    attributes={
        "role": None,  # checked by _role
        "title": max_length(256),
        "totalResults": non_negative_integer,
        "searchTerms": url_encoded,
        "count": non_negative_integer,
        "startIndex": _blank_or_integer,
        "startPage": integer,
        "parameter": None,
        "language": _language_or_any,
        "inputEncoding": charset,
        "outputEncoding": charset,
    },
    required=("role",),
    within=IN_FEED,
    rule=_role,
)

# The elements of description documents, which belong in no feed: named here so that the
# finding says where they belong.
IN_DESCRIPTION = Element(
    attributes=None, within=frozenset({f"{{{OPENSEARCH}}}OpenSearchDescription"})
)
DESCRIPTION_ONLY = (
    "ShortName", "Description", "Url", "Contact", "Tags", "LongName", "Image", "Developer",
    "Attribution", "SyndicationRight", "AdultContent", "Language", "InputEncoding",
    "OutputEncoding",
)  # fmt: skip

OPENSEARCH_11 = Vocabulary(
    namespaces=(OPENSEARCH,),
    elements={
        "totalResults": Element(text=non_negative_integer, once=True, within=IN_FEED),
        "startIndex": Element(text=integer, once=True, within=IN_FEED),
        "itemsPerPage": Element(text=non_negative_integer, once=True, within=IN_FEED),
        "Query": QUERY,
        **dict.fromkeys(DESCRIPTION_ONLY, IN_DESCRIPTION),
    },
)

OPENSEARCH_RSS_10 = Vocabulary(
    namespaces=(OPENSEARCH_10,),
    elements={
        "totalResults": Element(text=non_negative_integer, once=True, within=IN_FEED),
        "startIndex": Element(text=integer, once=True, within=IN_FEED),
        "itemsPerPage": Element(text=non_negative_integer, once=True, within=IN_FEED),
    },
)

VOCABULARIES: tuple[Vocabulary, ...] = (OPENSEARCH_11, OPENSEARCH_RSS_10)

__all__ = ["OPENSEARCH", "OPENSEARCH_10", "VOCABULARIES"]
