"""RSS 1.0's modules of metadata (https://web.resource.org/rss/1.0/modules/): aggregation
(ag), annotation, events (ev), taxonomy (taxo), link (l), wiki, changedpage (cp), and
Microsoft's Common Feed list extensions (cf, https://learn.microsoft.com/previous-versions/windows/desktop/ms686420(v=vs.85)).

Each lists every element it defines; the RDF ones name a resource in rdf:resource."""

from __future__ import annotations

from syndicate.validate.datatypes import iso8601, uri
from syndicate.validate.extensions.misc import rdf_resource
from syndicate.validate.extensions.vocabulary import (
    ANYWHERE,
    FEED,
    FEED_OR_ITEM,
    ITEM,
    Element,
    Vocabulary,
)

AGGREGATION = "http://purl.org/rss/1.0/modules/aggregation/"
ANNOTATE = "http://purl.org/rss/1.0/modules/annotate/"
EVENT = "http://purl.org/rss/1.0/modules/event/"
TAXONOMY = "http://purl.org/rss/1.0/modules/taxonomy/"
LINK = "http://purl.org/rss/1.0/modules/link/"
WIKI = ("http://purl.org/rss/1.0/modules/wiki/", "http://www.usemod.com/cgi-bin/mb.pl?ModWiki")
CHANGED_PAGE = "http://my.theinfo.org/changed/1.0/rss/"
COMMON_FEED = "http://www.microsoft.com/schemas/rss/core/2005"

_FEED = frozenset({FEED})
_ITEM = frozenset({ITEM})
_ANY = Element(within=ANYWHERE, attributes=None)
_IN_ITEM = Element(within=_ITEM, attributes=None)
_LISTINFO = frozenset({f"{{{COMMON_FEED}}}listinfo"})

VOCABULARIES = (
    Vocabulary((AGGREGATION,), {
        "source": Element(within=_ITEM, once=True, attributes=None),
        "sourceURL": Element(within=_ITEM, once=True, attributes=None, text=uri()),
        "timestamp": Element(within=_ITEM, once=True, attributes=None, text=iso8601),
    }),
    Vocabulary((ANNOTATE,), {
        "reference": Element(within=_ITEM, once=True, attributes=None, rule=rdf_resource),
    }),
    Vocabulary((EVENT,), {
        "startdate": Element(within=_ITEM, once=True, attributes=None, text=iso8601),
        "enddate": Element(within=_ITEM, once=True, attributes=None, text=iso8601),
        "location": _IN_ITEM,
        "organizer": _IN_ITEM,
        "type": Element(within=_ITEM, once=True, attributes=None),
    }),
    Vocabulary((TAXONOMY,), {
        "topics": Element(within=FEED_OR_ITEM, attributes=None),
        "topic": _ANY,  # an RDF description of a topic, beside the channel
        "link": _ANY,
    }),
    Vocabulary((LINK,), {
        "link": Element(within=FEED_OR_ITEM, attributes=None),
        "permalink": Element(within=_ITEM, attributes=None),
    }),
    Vocabulary(WIKI, {
        "diff": _IN_ITEM, "history": _IN_ITEM, "importance": _IN_ITEM, "status": _IN_ITEM,
        "version": _IN_ITEM,
        "interwiki": Element(within=_FEED, attributes=None),
    }),
    Vocabulary((CHANGED_PAGE,), {
        "server": Element(within=_FEED, attributes=None, rule=rdf_resource),
    }),
    Vocabulary((COMMON_FEED,), {
        "treatAs": Element(within=_FEED, once=True),
        "listinfo": Element(within=_FEED, once=True, holds_elements=True),
        "sort": Element(within=_LISTINFO, attributes=dict.fromkeys(
            ("data-type", "default", "element", "label", "ns"))),
        "group": Element(within=_LISTINFO, attributes=dict.fromkeys(("element", "label", "ns"))),
    }),
)  # fmt: skip
