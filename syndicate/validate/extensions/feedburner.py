"""FeedBurner's elements (http://rssnamespace.org/feedburner/ext/1.0), which feeds that
passed through FeedBurner still carry: the original link and enclosure of an item, the
awareness API and the settings of the feed."""

from __future__ import annotations

from syndicate.validate.datatypes import uri
from syndicate.validate.extensions.vocabulary import FEED, FEED_OR_ITEM, ITEM, Element, Vocabulary

FEEDBURNER = "http://rssnamespace.org/feedburner/ext/1.0"
_FEED = frozenset({FEED})
_ITEM = frozenset({ITEM})
_URI = uri()

ELEMENTS = {
    "origLink": Element(within=_ITEM, once=True, text=_URI),
    "origEnclosureLink": Element(within=_ITEM, once=True, text=_URI),
    "awareness": Element(within=FEED_OR_ITEM, once=True, text=_URI),
    "browserFriendly": Element(within=_FEED, once=True, attributes=None),
    "emailServiceId": Element(within=_FEED, once=True),
    "feedburnerHostname": Element(within=_FEED, once=True, text=_URI),
    "feedFlare": Element(
        within=_FEED,
        attributes={"href": uri(absolute=False, iri=True), "src": uri(absolute=False, iri=True)},
        required=("href", "src"),
    ),
    "info": Element(
        within=_FEED,
        once=True,
        attributes={"uri": uri(absolute=False, iri=True)},
        required=("uri",),
    ),
}

VOCABULARIES = (Vocabulary((FEEDBURNER,), ELEMENTS),)
