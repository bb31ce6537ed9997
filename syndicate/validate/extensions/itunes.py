"""The podcast vocabularies: Apple's iTunes namespace and Google Play's.

iTunes (http://www.itunes.com/dtds/podcast-1.0.dtd): Apple Podcasts' RSS requirements,
https://podcasters.apple.com/support/823-podcast-requirements (the tags, where each
stands, their values; "tag values are limited to 255 characters unless otherwise
specified"), its category list, https://podcasters.apple.com/support/1691-apple-podcasts-categories,
and the tags of its earlier specification that feeds still carry (isClosedCaptioned,
order, keywords, subtitle, summary). Where Apple leaves a value open, it is rated as the
W3C Feed Validator rates it (src/feedvalidator/itunes.py, docs/error/): block is yes, no
or clean, a duration seconds, M:SS or H:MM:SS, a summary at most 4000 characters.

Google Play (http://www.google.com/schemas/play-podcasts/1.0): Google's podcast RSS feed
guidelines, https://support.google.com/podcast-publishers/answer/9889544, and its schema,
https://www.google.com/schemas/play-podcasts/1.0/play-podcasts.xsd.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate.datatypes import (
    Problem,
    max_length,
    non_negative_integer,
    one_of,
    positive_integer,
    rfc822,
    uri,
    web_url,
)
from syndicate.validate.extensions.podcast_categories import (
    APPLE_CATEGORIES,
    GOOGLE_PLAY_CATEGORIES,
    RETIRED_APPLE_CATEGORIES,
)
from syndicate.validate.extensions.vocabulary import (
    FEED,
    ITEM,
    Element,
    Vocabulary,
    shown_name,
)
from syndicate.validate.values import contact_problem
from syndicate.validate.xmldoc import ATOM, RSS090, RSS10, XML

if TYPE_CHECKING:
    from syndicate.validate.datatypes import Check
    from syndicate.validate.xmldoc import XmlChecks

# Apple's namespace, and the capitalised spelling of Apple's first podcast specification
# (2005), which feeds still carry and the W3C validator reads as the same namespace.
ITUNES = (
    "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "http://www.itunes.com/DTDs/Podcast-1.0.dtd",
)
GOOGLE_PLAY = "http://www.google.com/schemas/play-podcasts/1.0"
DC = "http://purl.org/dc/elements/1.1/"

_FEED = frozenset({FEED})
_ITEM = frozenset({ITEM})
_IN_OWNER = frozenset(f"{{{namespace}}}owner" for namespace in ITUNES)
_CATEGORY_TAGS = frozenset(f"{{{namespace}}}category" for namespace in ITUNES)
# Hours of any length, then minutes and seconds below 60: 95, 1:35, 01:01:35.
_DURATION = re.compile(r"\d+(?::[0-5]\d(?::[0-5]\d)?)?")


def _flag_word(values: tuple[str, ...], what: str) -> Check:
    """A flag written as one of a few words, in any case."""
    allowed = frozenset(values)

    def check(value: str) -> Problem | None:
        if value.strip().lower() not in allowed:
            return ("bad-boolean", f"{what} is {' or '.join(values)}, not {value.strip()!r}")
        return None

    return check


def _duration(value: str) -> Problem | None:
    if not _DURATION.fullmatch(value.strip()):
        return ("bad-value", f"a duration is seconds, M:SS or H:MM:SS, not {value.strip()!r}")
    return None


def _email(value: str) -> Problem | None:
    """An address, as 'jo@example.com', 'Jo <jo@example.com>' or 'jo@example.com (Jo)'."""
    problem = contact_problem(value)
    return None if problem is None else ("bad-email", problem)


def _category(checks: XmlChecks, element: etree._Element) -> None:
    """Apple's categories, each top-level category with its own subcategories, one level
    deep; a category Apple has retired is a warning, one it never had an error."""
    text = element.get("text")
    if text is None:
        return  # the table reports the missing attribute
    parent = element.getparent()
    if parent is not None and parent.tag in _CATEGORY_TAGS:
        grandparent = parent.getparent()
        if grandparent is not None and grandparent.tag in _CATEGORY_TAGS:
            checks.flag(element, "unknown-element", "<itunes:category> nests one level deep")
            return
        above = parent.get("text")
        if not above:
            return  # the parent is already reported
        current: Collection[str] = APPLE_CATEGORIES.get(above, ())
        retired: Collection[str] = RETIRED_APPLE_CATEGORIES.get(above, ())
        what = f"a subcategory of {above!r}"
    else:
        current, retired = APPLE_CATEGORIES.keys(), RETIRED_APPLE_CATEGORIES.keys()
        what = "a category"
    if text in current:
        return
    if text in retired:
        checks.flag(element, "obsolete-value", f"{text!r} is {what} Apple Podcasts has retired")
    else:
        checks.flag(element, "bad-value", f"{text!r} is not {what} of Apple Podcasts")


def _owner(checks: XmlChecks, element: etree._Element) -> None:
    """The owner is reached by email: itunes:owner holds an itunes:email."""
    email = f"{{{etree.QName(element).namespace}}}email"
    if element.find(email) is None:
        checks.flag(element, "missing-element", f"{shown_name(element)} needs an <itunes:email>")


_LIMITED = max_length(255)
_EXPLICIT = _flag_word(("true", "false"), "itunes:explicit")
_YES_NO = _flag_word(("yes", "no"), "a yes/no flag")

ITUNES_ELEMENTS = {
    "author": Element(once=True, text=_LIMITED),
    "block": Element(once=True, text=_flag_word(("yes", "no", "clean"), "itunes:block")),
    "explicit": Element(once=True, text=_EXPLICIT),
    # Its href names the picture; text inside is no value (W3C: UnexpectedText).
    "image": Element(
        once=True, attributes={"href": web_url}, required=("href",), holds_elements=True
    ),
    "keywords": Element(once=True, text=_LIMITED),
    "subtitle": Element(once=True, text=_LIMITED),
    "summary": Element(once=True, text=max_length(4000)),
    "title": Element(once=True),
    # The show's
    "category": Element(
        within=_FEED | _CATEGORY_TAGS, attributes={"text": None}, required=("text",), rule=_category
    ),
    "owner": Element(within=_FEED, once=True, attributes=None, rule=_owner),
    "name": Element(within=_IN_OWNER, once=True, text=_LIMITED),
    "email": Element(within=_IN_OWNER, once=True, text=_email),
    "type": Element(within=_FEED, once=True, text=one_of(("episodic", "serial"), "itunes:type")),
    "new-feed-url": Element(within=_FEED, once=True, text=uri()),
    "complete": Element(within=_FEED, once=True, text=_YES_NO),
    "pubDate": Element(within=_FEED, once=True, text=rfc822),
    "applepodcastsverify": Element(within=_FEED, once=True),
    # An episode's
    "duration": Element(within=_ITEM, once=True, text=_duration),
    "episode": Element(within=_ITEM, once=True, text=positive_integer),
    "season": Element(within=_ITEM, once=True, text=positive_integer),
    "episodeType": Element(
        within=_ITEM, once=True, text=one_of(("full", "trailer", "bonus"), "itunes:episodeType")
    ),
    "isClosedCaptioned": Element(within=_ITEM, once=True, text=_YES_NO),
    "order": Element(within=_ITEM, once=True, text=non_negative_integer),
}


def _show(checks: XmlChecks, root: etree._Element) -> etree._Element | None:
    """The element that stands for the show: the RSS channel or the Atom feed."""
    kind = checks.report.kind
    if kind == "rss":
        return root.find("channel")
    if kind == "rdf":
        found = root.find(f"{{{RSS10}}}channel")
        return found if found is not None else root.find(f"{{{RSS090}}}channel")
    return root if root.tag == f"{{{ATOM}}}feed" else None


def _recommended(checks: XmlChecks, root: etree._Element) -> None:
    """What Apple Podcasts requires of a show that uses its tags: a category, the explicit
    flag, artwork and the language spoken (the W3C validator's MissingItunesElement). One
    warning: a feed without them is valid, but Apple does not list it."""
    show = _show(checks, root)
    if show is None or not any(
        etree.QName(e).namespace in ITUNES for e in root.iter(etree.Element)
    ):
        return
    here = {etree.QName(e).localname for e in show if etree.QName(e).namespace in ITUNES}
    wanted = ("category", "explicit", "image")
    missing = [f"<itunes:{name}>" for name in wanted if name not in here]
    if not _has_language(show):
        missing.append("<language>")
    if missing:
        checks.flag(show, "missing-recommended", f"a podcast lacks {', '.join(missing)}")


def _has_language(show: etree._Element) -> bool:
    if show.find("language") is not None or show.find(f"{{{DC}}}language") is not None:
        return True
    at: etree._Element | None = show
    while at is not None:
        if at.get(f"{{{XML}}}lang"):
            return True
        at = at.getparent()
    return False


def _google_category(checks: XmlChecks, element: etree._Element) -> None:
    """Google Play's own categories; Google Podcasts also read Apple's, so those pass."""
    text = element.get("text")
    if text is not None and text not in GOOGLE_PLAY_CATEGORIES and text not in APPLE_CATEGORIES:
        checks.flag(element, "bad-value", f"{text!r} is not a Google Play podcast category")


GOOGLE_PLAY_ELEMENTS = {
    "author": Element(once=True, text=_LIMITED),
    "block": Element(once=True, text=_YES_NO),
    "description": Element(once=True, text=max_length(4000)),
    "explicit": Element(
        once=True, text=_flag_word(("yes", "no", "clean", "true", "false"), "googleplay:explicit")
    ),
    "image": Element(once=True, attributes={"href": web_url}, required=("href",)),
    # The show's
    "category": Element(
        within=_FEED, attributes={"text": None}, required=("text",), rule=_google_category
    ),
    "email": Element(within=_FEED, once=True, text=_email),
    "owner": Element(within=_FEED, once=True, text=_email),
    "new-feed-url": Element(within=_FEED, once=True, text=uri()),
}

VOCABULARIES = (
    Vocabulary(ITUNES, ITUNES_ELEMENTS, document=_recommended),
    Vocabulary((GOOGLE_PLAY,), GOOGLE_PLAY_ELEMENTS),
)
