"""Media RSS 1.5.1 (namespace http://search.yahoo.com/mrss/), as the RSS Advisory Board
publishes it: https://www.rssboard.org/media-rss

<media:group> stands in an item and holds two or more <media:content>, representations
of the same media; <media:content> stands in an item or a group. The other elements
describe the media of their scope and may stand in the channel, an item, a group or a
content. The W3C Feed Validator checks the Media RSS 1.1 elements (its media.py); the
1.5 additions (community, embed, scenes, ...) are checked here from the spec alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

from syndicate.validate import datatypes as dt
from syndicate.validate.datatypes import Check, Problem
from syndicate.validate.extensions.media_roles import EBU_ROLES
from syndicate.validate.extensions.vocabulary import (
    FEED_OR_ITEM,
    ITEM,
    Element,
    Vocabulary,
    shown_name,
)
from syndicate.validate.values import has_markup

if TYPE_CHECKING:
    from syndicate.validate.xmldoc import XmlChecks

MEDIA = "http://search.yahoo.com/mrss/"
# Earlier versions of the spec printed the namespace without its trailing slash; the
# spec now says the slash belongs (W3C: MediaRssNamespace, an error). Elements in the
# slashless namespace are still checked as Media RSS, as readers accept both.
MEDIA_WITHOUT_SLASH = "http://search.yahoo.com/mrss"
_NAMESPACES = (MEDIA, MEDIA_WITHOUT_SLASH)


def _inside(*names: str) -> frozenset[str]:
    """The Media RSS parents `names`, in either spelling of the namespace."""
    return frozenset(f"{{{namespace}}}{name}" for namespace in _NAMESPACES for name in names)


# "The following elements are optional and may appear as sub-elements of <channel>,
# <item>, <media:content> and/or <media:group>."
OPTIONAL = FEED_OR_ITEM | _inside("group", "content")


def _is_media(element: etree._Element, local: str) -> bool:
    name = etree.QName(element)
    return name.namespace in _NAMESPACES and name.localname == local


def _media_children(element: etree._Element, local: str) -> list[etree._Element]:
    return [child for child in element.iterchildren(etree.Element) if _is_media(child, local)]


# Values

_URI = dt.uri()


def _scheme(value: str) -> Problem | None:
    """A URI naming a scheme or a distributor: Media RSS writes its own as 'urn:' and a
    name alone (urn:ebu, urn:simple, and urn:apple, urn:yahoo in its restriction
    example), which RFC 8141 would not call a URN, so these are taken as written."""
    if re.fullmatch(r"urn:[A-Za-z0-9][A-Za-z0-9.-]*", value.strip()):
        return None
    return _URI(value)


_TEXT_TYPE = dt.one_of(("plain", "html"), "type")
# Rates and durations: a number, read as readers read it, from the start (the W3C
# validator takes '128kbps' as 128).
_NON_NEGATIVE = dt.leading_number
_COUNT = dt.non_negative_integer


def _true_or_false(value: str) -> Problem | None:
    """'true' or 'false', in any case (as the W3C validator reads isDefault and adult)."""
    return dt.true_false(value.strip().lower())


def _currency(value: str) -> Problem | None:
    """ISO 4217: three capital letters (USD, EUR, ...)."""
    if not re.fullmatch(r"[A-Z]{3}", value.strip()):
        return ("bad-value", f"not an ISO 4217 currency code (such as 'USD'): {value.strip()!r}")
    return None


def _tags(value: str) -> Problem | None:
    """media:tags: 'tag, tag:weight, ...', a weight being a whole number (default 1)."""
    for tag in value.split(","):
        name, colon, weight = tag.strip().rpartition(":")
        if colon and name and not weight.strip().isdigit():
            return ("bad-number", f"the weight of tag {name.strip()!r} is not a whole number")
    return None


# Rules the table cannot say


def _group(checks: XmlChecks, element: etree._Element) -> None:
    """A group holds "effectively the same content, yet different representations": it
    "must only be used for this purpose", so one <media:content> is no group (W3C:
    MediaGroupWithoutAlternatives)."""
    if len(_media_children(element, "content")) < 2:
        checks.flag(
            element,
            "missing-element",
            f"{shown_name(element)} groups alternatives: it needs two or more <media:content>",
        )


def _holds_no_text(checks: XmlChecks, element: etree._Element) -> None:
    """An element whose spec gives it attributes only (W3C: UnexpectedText)."""
    text = "".join(str(piece) for piece in element.itertext()).strip()
    if text:
        checks.flag(
            element, "unexpected-text", f"{shown_name(element)} holds no text: {text[:40]!r}"
        )


def _title(checks: XmlChecks, element: etree._Element) -> None:
    """type "plain" (the default) is shown as text, so markup would show as such (W3C:
    ContainsUndeclaredHTML, a warning)."""
    if element.get("type", "plain").strip() != "html" and has_markup(element.text or ""):
        checks.flag(
            element, "html-in-title", f'{shown_name(element)} holds markup but is not type="html"'
        )


_SIMPLE = frozenset({"adult", "nonadult"})
_MPAA = frozenset({"g", "pg", "pg-13", "r", "nc-17", "m", "x"})
_V_CHIP = frozenset(
    {"tv-y", "tv-y7", "tv-y7-fv", "tv-g", "tv-pg", "tv-14", "tv-ma"}  # US TV Parental Guidelines
    | {"c", "c8", "g", "pg", "14+", "18+"}  # Canadian classification
)
# ICRA labels: a category letter and a level letter, each set to 1, or the category's
# 'z' code ('none of these') set to 0 or 1; categories nudity, sex, violence, language,
# other (drugs, gambling, ...), context and chat.
_ICRA_LEVELS = {"n": "abc", "s": "abcdef", "v": "abcdefghij", "l": "abc",
                "o": "abcdefgh", "c": "ab", "x": "abcde"}  # fmt: skip
_RATINGS = {"urn:simple": _SIMPLE, "urn:mpaa": _MPAA, "urn:v-chip": _V_CHIP}


def _is_icra_label(value: str) -> bool:
    match = re.fullmatch(r"r \((.+)\)", value)
    if match is None:
        return False
    words = match.group(1).split(" ")
    if len(words) % 2:
        return False
    for code, setting in zip(words[::2], words[1::2], strict=True):
        if len(code) != 2 or code[0] not in _ICRA_LEVELS:
            return False
        if code[1] == "z" and setting in ("0", "1"):
            continue
        if code[1] not in _ICRA_LEVELS[code[0]] or setting != "1":
            return False
    return True


def _rating(checks: XmlChecks, element: etree._Element) -> None:
    """scheme defaults to urn:simple; the predefined schemes have their own values, in
    lower case; any other scheme is a URI (W3C: InvalidMediaRating, InvalidFullLink)."""
    scheme = (element.get("scheme") or "urn:simple").strip()
    value = (element.text or "").strip()
    name = shown_name(element)
    if scheme in _RATINGS:
        if value not in _RATINGS[scheme]:
            shown = ", ".join(sorted(_RATINGS[scheme]))
            checks.flag(element, "bad-value", f"{name}: {scheme} is one of {shown}, not {value!r}")
    elif scheme == "urn:icra":
        if not _is_icra_label(value):
            checks.flag(
                element,
                "bad-value",
                f"{name}: not an ICRA label such as 'r (nz 1 vz 1)': {value!r}",
            )
    else:
        problem = _scheme(scheme)
        if problem is not None:
            checks.flag(element, problem[0], f"{name} scheme: {problem[1]}")


def _credit(checks: XmlChecks, element: etree._Element) -> None:
    """role "must be lowercase"; with the scheme urn:ebu (the default) it is one of the
    EBU Role Codes (W3C: InvalidCreditRole)."""
    role = element.get("role")
    if role is None:
        return
    scheme = (element.get("scheme") or "urn:ebu").strip()
    name = shown_name(element)
    if role != role.lower():
        checks.flag(element, "bad-value", f"{name} role is written in lower case, not {role!r}")
    elif scheme == "urn:ebu" and role.strip() not in EBU_ROLES:
        checks.flag(
            element, "bad-value", f"{name} role {role!r} is not an EBU role code (scheme urn:ebu)"
        )


def _hash(checks: XmlChecks, element: etree._Element) -> None:
    """The digest of the media: 32 characters for md5 (the default), 40 for sha-1
    (hexadecimal, as the W3C validator reads it: letters and digits)."""
    algo = (element.get("algo") or "md5").strip()
    digest = (element.text or "").strip()
    length = {"md5": 32, "sha-1": 40}.get(algo)
    name = shown_name(element)
    if not re.fullmatch(r"[0-9A-Za-z]+", digest):
        checks.flag(element, "bad-value", f"{name} is not a hexadecimal digest: {digest[:50]!r}")
    elif length is not None and len(digest) != length:
        checks.flag(
            element,
            "bad-value",
            f"{name}: an {algo} digest has {length} digits, not {len(digest)}",
        )


def _restriction(checks: XmlChecks, element: etree._Element) -> None:
    """Space-separated entities of its type: ISO 3166 country codes or URIs; 'all' and
    'none' are reserved, and type "can only be excluded when using" them (W3C:
    InvalidMediaRestriction, InvalidCountryCode)."""
    kind = (element.get("type") or "").strip()
    entities = (element.text or "").split()
    name = shown_name(element)
    if entities in (["all"], ["none"]) or kind == "sharing":
        return
    if not kind:
        if entities:
            checks.flag(
                element,
                "bad-value",
                f"{name} without a type is 'all' or 'none', not {' '.join(entities)[:50]!r}",
            )
        return
    check = {"country": dt.country_code, "uri": _scheme}.get(kind)
    if check is None:
        return  # a type of its own, flagged by the table
    for entity in entities:
        problem = check(entity)
        if problem is not None:
            checks.flag(element, problem[0], f"{name} ({kind}): {problem[1]}")
            return


def _document(checks: XmlChecks, root: etree._Element) -> None:
    """The namespace has a trailing slash (W3C: MediaRssNamespace, an error)."""
    for element in root.iter(etree.Element):
        if etree.QName(element).namespace == MEDIA_WITHOUT_SLASH:
            checks.flag(
                element,
                "bad-namespace",
                f"the Media RSS namespace is {MEDIA!r}, with a trailing slash,"
                f" not {MEDIA_WITHOUT_SLASH!r}",
            )
            return


# The elements

_DIMENSIONS = {"height": dt.positive_integer, "width": dt.positive_integer}
_TEXT = Element(within=OPTIONAL)


def _attributes_only(
    attributes: dict[str, Check | None],
    *,
    required: tuple[str, ...] = (),
    within: frozenset[str] = OPTIONAL,
) -> Element:
    """An element that the spec gives attributes and no text."""
    return Element(attributes=attributes, required=required, within=within, rule=_holds_no_text)


ELEMENTS: dict[str, Element] = {
    "group": Element(within=frozenset({ITEM}), holds_elements=True, rule=_group),
    "content": Element(
        attributes={
            "url": _URI,
            "fileSize": dt.positive_integer,
            "type": dt.mime_type,
            "medium": dt.one_of(("image", "audio", "video", "document", "executable"), "medium"),
            "isDefault": _true_or_false,
            "expression": dt.one_of(("sample", "full", "nonstop"), "expression"),
            "bitrate": _NON_NEGATIVE,  # kilobits per second
            "framerate": _NON_NEGATIVE,  # frames per second
            "samplingrate": _NON_NEGATIVE,  # kilohertz
            "channels": _COUNT,
            "duration": _NON_NEGATIVE,  # seconds
            **_DIMENSIONS,
            "lang": dt.language,
        },
        within=frozenset({ITEM}) | _inside("group"),
        holds_elements=True,
    ),
    # media:adult was deprecated in 1.1 for media:rating (W3C: a warning only).
    "adult": Element(text=_true_or_false, once=True, within=OPTIONAL),
    "rating": Element(attributes={"scheme": None}, within=OPTIONAL, rule=_rating),
    "title": Element(attributes={"type": _TEXT_TYPE}, once=True, within=OPTIONAL, rule=_title),
    "description": Element(attributes={"type": _TEXT_TYPE}, once=True, within=OPTIONAL),
    "keywords": _TEXT,
    "thumbnail": Element(
        attributes={"url": _URI, **_DIMENSIONS, "time": dt.npt_time},
        required=("url",),
        within=OPTIONAL,
    ),
    "category": Element(attributes={"scheme": _scheme, "label": None}, within=OPTIONAL),
    "hash": Element(
        attributes={"algo": dt.one_of(("md5", "sha-1"), "algo")}, within=OPTIONAL, rule=_hash
    ),
    "player": _attributes_only({"url": _URI, **_DIMENSIONS}, required=("url",)),
    "credit": Element(attributes={"role": None, "scheme": _scheme}, within=OPTIONAL, rule=_credit),
    "copyright": Element(attributes={"url": _URI}, once=True, within=OPTIONAL),
    "text": Element(
        attributes={
            "type": _TEXT_TYPE,
            "lang": dt.language,
            "start": dt.npt_time,
            "end": dt.npt_time,
        },
        within=OPTIONAL,
    ),
    "restriction": Element(
        attributes={
            "relationship": dt.one_of(("allow", "deny"), "relationship"),
            "type": dt.one_of(("country", "uri", "sharing"), "type"),
        },
        required=("relationship",),
        within=OPTIONAL,
        rule=_restriction,
    ),
    # Media RSS 1.5
    "community": Element(within=OPTIONAL, holds_elements=True),
    "starRating": _attributes_only(
        {"average": _NON_NEGATIVE, "count": _COUNT, "min": dt.integer, "max": dt.integer},
        within=_inside("community"),
    ),
    "statistics": _attributes_only(
        {"views": _COUNT, "favorites": _COUNT}, within=_inside("community")
    ),
    "tags": Element(text=_tags, within=_inside("community")),
    "comments": Element(within=OPTIONAL, holds_elements=True),
    "comment": Element(within=_inside("comments")),
    "embed": Element(attributes={"url": _URI, **_DIMENSIONS}, within=OPTIONAL, holds_elements=True),
    "param": Element(attributes={"name": None}, required=("name",), within=_inside("embed")),
    "responses": Element(within=OPTIONAL, holds_elements=True),
    "response": Element(text=_URI, within=_inside("responses")),
    "backLinks": Element(within=OPTIONAL, holds_elements=True),
    "backLink": Element(text=_URI, within=_inside("backLinks")),
    "status": _attributes_only(
        {"state": dt.one_of(("active", "blocked", "deleted"), "state"), "reason": None},
        required=("state",),
    ),
    "price": _attributes_only(
        {
            "type": dt.one_of(("rent", "purchase", "package", "subscription"), "type"),
            "info": _URI,
            "price": _NON_NEGATIVE,
            "currency": _currency,
        }
    ),
    "license": Element(attributes={"type": dt.mime_type, "href": _URI}, within=OPTIONAL),
    "subTitle": _attributes_only(
        {"type": dt.mime_type, "lang": dt.language, "href": _URI}, required=("href",)
    ),
    "peerLink": _attributes_only({"type": dt.mime_type, "href": _URI}, required=("href",)),
    "rights": _attributes_only({"status": dt.one_of(("userCreated", "official"), "status")}),
    "scenes": Element(within=OPTIONAL, holds_elements=True),
    "scene": Element(within=_inside("scenes"), holds_elements=True),
    "sceneTitle": Element(within=_inside("scene")),
    "sceneDescription": Element(within=_inside("scene")),
    "sceneStartTime": Element(text=dt.npt_time, within=_inside("scene")),
    "sceneEndTime": Element(text=dt.npt_time, within=_inside("scene")),
    # Holds a GeoRSS location (georss:where), checked by its own vocabulary.
    "location": Element(
        attributes={"description": None, "start": dt.npt_time, "end": dt.npt_time},
        within=OPTIONAL,
        holds_elements=True,
    ),
}

VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary(namespaces=_NAMESPACES, elements=ELEMENTS, document=_document),
)
