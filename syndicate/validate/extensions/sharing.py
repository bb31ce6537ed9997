"""FeedSync for Atom and RSS 1.0 (formerly Simple Sharing Extensions, SSE), namespace
http://feedsync.org/2007/feedsync: the specification at http://feedsync.org/spec/, section 2.

sx:sharing describes the feed as a whole (the window of time it covers, related feeds);
sx:sync is each item's version history, with the items it conflicts with.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate.datatypes import (
    bounded_positive_integer,
    nonblank,
    one_of,
    rfc3339,
    true_false,
    uri,
    urn_nss,
)
from syndicate.validate.extensions.vocabulary import FEED, ITEM, Element, Vocabulary
from syndicate.validate.values import rfc3339_date

if TYPE_CHECKING:
    from syndicate.validate.xmldoc import XmlChecks

SX = "http://feedsync.org/2007/feedsync"
# Update counts (sx:sync updates) and sequence numbers (sx:history sequence) are
# positive 31-bit integers.
UINT31 = bounded_positive_integer(2**31 - 1)


def _sharing(checks: XmlChecks, element: etree._Element) -> None:
    """since and until bound a window of time together (sx:sharing): both or neither,
    and the window does not end before it begins."""
    since, until = element.get("since"), element.get("until")
    if since is not None and until is None:
        checks.flag(element, "missing-element", "<sx:sharing> with since needs an until attribute")
    if until is not None and since is None:
        checks.flag(element, "missing-element", "<sx:sharing> with until needs a since attribute")
    if since is None or until is None:
        return
    start, end = rfc3339_date(since), rfc3339_date(until)
    if not isinstance(start, str) and not isinstance(end, str) and start > end:
        checks.flag(element, "bad-value", f"<sx:sharing> since {since!r} is after until {until!r}")


def _sync(checks: XmlChecks, element: etree._Element) -> None:
    """An item's sync data holds its history: at least one sx:history (sx:sync)."""
    if not any(child.tag == f"{{{SX}}}history" for child in element):
        checks.flag(element, "missing-element", "<sx:sync> needs at least one <sx:history>")


def _history(checks: XmlChecks, element: etree._Element) -> None:
    """A version is known by who made it, when, or both (sx:history)."""
    if element.get("by") is None and element.get("when") is None:
        checks.flag(element, "missing-element", "<sx:history> needs a by or a when attribute")


def _document(checks: XmlChecks, root: etree._Element) -> None:
    _unique_sync_ids(checks, root)


def _unique_sync_ids(checks: XmlChecks, root: etree._Element) -> None:
    """Each item's sync id is unique among the items of its feed (sx:sync, section 2.4). The
    versions kept in an sx:conflicts are of the same item, so they share its id: ids are
    compared among the items of one feed, or of one sx:conflicts."""
    seen: dict[int, set[str]] = defaultdict(set)
    for sync in root.iter(f"{{{SX}}}sync"):
        item = sync.getparent()
        container = item.getparent() if item is not None else None
        value = (sync.get("id") or "").strip()
        if container is None or not value:
            continue
        if value in seen[id(container)]:
            checks.flag(sync, "duplicate-value", f"two items have the <sx:sync> id {value!r}")
        seen[id(container)].add(value)


ELEMENTS = {
    # The feed's sharing information, with the feeds related to it.
    "sharing": Element(
        attributes={"since": rfc3339, "until": rfc3339, "expires": rfc3339},
        within=frozenset({FEED}),
        holds_elements=True,
        rule=_sharing,
    ),
    "related": Element(
        attributes={
            "link": uri(),
            "type": one_of(("aggregated", "complete"), "sx:related type"),
            "title": nonblank,
        },
        required=("link", "type"),
        within=frozenset({f"{{{SX}}}sharing"}),
    ),
    # An item's sync data.
    "sync": Element(
        attributes={
            "id": urn_nss,
            "updates": UINT31,
            "deleted": true_false,
            "noconflicts": true_false,
        },
        required=("id", "updates"),
        once=True,
        within=frozenset({ITEM}),
        holds_elements=True,
        rule=_sync,
    ),
    # One version of the item, newest first.
    "history": Element(
        attributes={"sequence": UINT31, "when": rfc3339, "by": urn_nss},
        required=("sequence",),
        within=frozenset({f"{{{SX}}}sync"}),
        holds_elements=True,
        rule=_history,
    ),
    # The versions that conflict with this one, as whole items or entries.
    "conflicts": Element(
        once=True,
        within=frozenset({f"{{{SX}}}sync"}),
        holds_elements=True,
    ),
}

VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary((SX,), ELEMENTS, document=_document, attributes=frozenset()),
)
