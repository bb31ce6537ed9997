"""The value types of feed vocabularies, each a check of one text.

A check takes the text as written and returns None, or a `Problem`: the code of the
closed table (report.py) and why. Extension values are read as feed readers read
them, spaces around them forgiven; `exact` keeps them (Atom's URIs and dates).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache

from syndicate.validate.values import (
    is_address,
    is_language,
    rfc822_date,
    rfc3339_date,
    w3cdtf_date,
)

Problem = tuple[str, str]
Check = Callable[[str], "Problem | None"]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# RFC 3986 section 2: unreserved, reserved, and '%' (percent-encoding); '[' and ']'
# only delimit an IP literal host.
_URI_CHARACTER = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_MIME = re.compile(
    r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+"
    r"(?:\s*;\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+=(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|\"[^\"]*\"))*"
)
_NPT = re.compile(r"now|\d")
# RFC 4151: tag:authority,date:specific; the authority a DNS name (in lower case, as
# tags compare character by character) or an email address, the date a year, a month or
# a day, the specific part URI characters.
_TAG = re.compile(
    r"tag:(?:[A-Za-z0-9._-]+@)?[a-z0-9.-]+,\d{4}(?:-\d{2}(?:-\d{2})?)?:"
    r"[A-Za-z0-9\-._~:/?@!$&'()*+,;=%]*(?:#[A-Za-z0-9\-._~:/?@!$&'()*+,;=%]*)?"
)
# RFC 2141: urn:NID:NSS, NID 2 to 32 letters, digits or hyphens (not first), the NSS of
# letters, digits, ( ) + , - . : = @ ; $ _ ! * ' and %-escapes.
_URN = re.compile(
    r"[Uu][Rr][Nn]:[A-Za-z0-9][A-Za-z0-9-]{1,31}:"
    r"(?:[A-Za-z0-9()+,\-.:=@;$_!*']|%[0-9A-Fa-f]{2})+"
)
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_SIGNED_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def uri_problem(value: str, *, absolute: bool = True, iri: bool = False) -> Problem | None:
    """Why `value` (as written) is no URI (RFC 3986), or no IRI (RFC 3987) where `iri`;
    where `absolute`, a relative reference is not enough."""
    if not value:
        return ("bad-url", "empty where a URL belongs")
    for character in value:
        if ord(character) > 127:
            if iri and character.isprintable() and not character.isspace():
                continue
            if iri:
                return ("bad-url", f"character {character!r} is not allowed in an IRI: {value!r}")
            return (
                "bad-url",
                f"an IRI where a URI is required (percent-encode {character!r}): {value!r}",
            )
        if not _URI_CHARACTER.fullmatch(character):
            return ("bad-url", f"character {character!r} is not allowed in a URI: {value!r}")
    if _PERCENT.search(value):
        return ("bad-url", f"'%' not followed by two hex digits: {value!r}")
    scheme = _SCHEME.match(value)
    if scheme is None:
        if absolute:
            return ("relative-url", f"a relative URL where an absolute one is required: {value!r}")
        if ":" in value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
            return ("bad-url", f"not a URL scheme: {value.split(':', 1)[0]!r}")
        return None
    name = scheme.group()[:-1].lower()
    rest = value[scheme.end() :]
    if name in ("http", "https", "ftp") and not re.match(r"//[^/?#]", rest):
        return ("bad-url", f"an {name} URL without a host: {value!r}")
    if not rest:
        return ("bad-url", f"a scheme and nothing else: {value!r}")
    if name == "tag" and not _TAG.fullmatch(value):
        return (
            "bad-url",
            f"not a tag URI (RFC 4151, such as tag:example.com,2026:story-1): {value!r}",
        )
    if name == "urn":
        if value[4:9].lower() == "uuid:" and not _UUID.fullmatch(value[9:]):
            return ("bad-url", f"not a UUID URN (RFC 4122): {value!r}")
        if not _URN.fullmatch(value):
            return ("bad-url", f"not a URN (RFC 2141, urn:namespace:name): {value!r}")
    return None


def uri(*, absolute: bool = True, iri: bool = False, exact: bool = False) -> Check:
    def check(value: str) -> Problem | None:
        return uri_problem(value if exact else value.strip(), absolute=absolute, iri=iri)

    return check


def web_url(value: str) -> Problem | None:
    """An http or https URL with a host (what a player or a reader fetches)."""
    text = value.strip()
    problem = uri_problem(text)
    if problem is not None:
        return problem
    if not re.match(r"https?://", text, re.IGNORECASE):
        return ("bad-url", f"not an http or https URL: {text!r}")
    return None


def integer(value: str) -> Problem | None:
    text = value.strip()
    if not _SIGNED_INTEGER.fullmatch(text):
        return ("bad-number", f"not a whole number: {text!r}")
    return None


def non_negative_integer(value: str) -> Problem | None:
    text = value.strip()
    if not text.isdigit() or not text.isascii():
        return ("bad-number", f"not a whole number of 0 or more: {text!r}")
    return None


def positive_integer(value: str) -> Problem | None:
    text = value.strip()
    if not text.isdigit() or not text.isascii() or int(text) == 0:
        return ("bad-number", f"not a whole number of 1 or more: {text!r}")
    return None


def bounded_positive_integer(limit: int) -> Check:
    def check(value: str) -> Problem | None:
        problem = positive_integer(value)
        if problem is None and int(value.strip()) > limit:
            return ("bad-number", f"{value.strip()} is larger than {limit}")
        return problem

    return check


def decimal(value: str) -> Problem | None:
    text = value.strip()
    if not _DECIMAL.fullmatch(text):
        return ("bad-number", f"not a number: {text!r}")
    return None


def non_negative_decimal(value: str) -> Problem | None:
    text = value.strip()
    if not re.fullmatch(r"\d+\.?\d*|\.\d+", text):
        return ("bad-number", f"not a number of 0 or more: {text!r}")
    return None


def within(low: float, high: float, what: str) -> Check:
    """A decimal number from `low` to `high`: a latitude, a longitude, a percentage."""

    def check(value: str) -> Problem | None:
        text = value.strip()
        if not _DECIMAL.fullmatch(text) or not low <= float(text) <= high:
            return (
                "bad-coordinate" if what in ("latitude", "longitude") else "bad-number",
                f"not a {what} ({low:g} to {high:g}): {text!r}",
            )
        return None

    return check


latitude = within(-90, 90, "latitude")
longitude = within(-180, 180, "longitude")


def true_false(value: str) -> Problem | None:
    """'true' or 'false', in lower case (XML Schema's boolean as feeds write it)."""
    if value.strip() not in ("true", "false"):
        return ("bad-boolean", f"'true' or 'false', not {value.strip()!r}")
    return None


def one_of(values: Iterable[str], what: str, *, case: bool = True) -> Check:
    allowed = frozenset(values if case else (v.lower() for v in values))
    shown = ", ".join(sorted(allowed)[:8]) + (", ..." if len(allowed) > 8 else "")

    def check(value: str) -> Problem | None:
        text = value.strip() if case else value.strip().lower()
        if text not in allowed:
            return ("bad-value", f"{what} is one of {shown}, not {value.strip()!r}")
        return None

    return check


def mime_type(value: str) -> Problem | None:
    if not _MIME.fullmatch(value.strip()):
        return ("bad-mime-type", f"not a MIME type (such as 'audio/mpeg'): {value.strip()!r}")
    return None


def language(value: str) -> Problem | None:
    text = value.strip()
    if not text:
        return ("bad-language", "empty where a language code belongs")
    if not is_language(text):
        return ("bad-language", f"not a language code (RFC 5646, such as 'en-GB'): {text!r}")
    primary = text.split("-", 1)[0].lower()
    if len(primary) > 1 and primary not in known_languages():
        return ("bad-language", f"{primary!r} is not an ISO 639 language: {text!r}")
    return None


@cache
def known_languages() -> frozenset[str]:
    """ISO 639 codes (two and three letters) as CLDR knows them, and old aliases."""
    from babel import Locale
    from babel.core import get_global

    aliases: dict[str, str] = get_global("language_aliases")  # type: ignore[assignment]
    names = list(Locale("en").languages)
    return frozenset(code.split("_")[0].lower() for code in [*aliases, *names])


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 two-letter codes, from CLDR (numeric regions left out)."""
    from babel import Locale

    territories = list(Locale("en").territories)
    return frozenset(code for code in territories if code.isalpha())


def country_code(value: str) -> Problem | None:
    text = value.strip()
    if text.upper() not in country_codes():
        return ("bad-value", f"not an ISO 3166 country code: {text!r}")
    return None


def email(value: str) -> Problem | None:
    if not is_address(value):
        return ("bad-email", f"not an email address: {value.strip()!r}")
    return None


def rfc822(value: str) -> Problem | None:
    moment = rfc822_date(value)
    return ("bad-date", f"{moment}: {value.strip()!r}") if isinstance(moment, str) else None


def rfc3339(value: str) -> Problem | None:
    moment = rfc3339_date(value)
    return ("bad-date", f"{moment}: {value.strip()!r}") if isinstance(moment, str) else None


def w3cdtf(value: str) -> Problem | None:
    moment = w3cdtf_date(value)
    return ("bad-date", f"{moment}: {value.strip()!r}") if isinstance(moment, str) else None


def npt_time(value: str) -> Problem | None:
    """Normal Play Time (RFC 2326 3.6): 'now', or seconds or h:mm:ss with a fraction;
    read from the start, as the W3C validator reads it (a time that starts right)."""
    if not _NPT.match(value.strip()):
        return ("bad-value", f"not a Normal Play Time (such as '12:05:01.123'): {value.strip()!r}")
    return None


def max_length(limit: int) -> Check:
    def check(value: str) -> Problem | None:
        if len(value.strip()) > limit:
            return ("too-long", f"{len(value.strip())} characters, more than {limit}")
        return None

    return check


def nonblank(value: str) -> Problem | None:
    if not value.strip():
        return ("empty-element", "empty where a value belongs")
    return None


def base64_data(value: str) -> Problem | None:
    compact = re.sub(r"\s+", "", value)
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return ("bad-base64", "not base64 data (RFC 4648)")
    return None


def no_spaces_around(value: str) -> Problem | None:
    """Values where RFC 4287 allows no whitespace (URIs, dates): readers differ on it."""
    if value != value.strip():
        return (
            "unexpected-whitespace",
            f"spaces or line breaks around the value {value.strip()!r}",
        )
    return None


def all_of(*checks: Check) -> Check:
    """The first problem of several checks."""

    def check(value: str) -> Problem | None:
        for each in checks:
            problem = each(value)
            if problem is not None:
                return problem
        return None

    return check


# RFC 2141 section 2.2: a URN's namespace-specific string is letters, digits, the
# punctuation "()+,-.:=@;$_!*'", the reserved "/?#", and %-escapes.
_URN_NSS = re.compile(r"(?:[0-9A-Za-z()+,\-.:=@;$_!*'/?#]|%[0-9A-Fa-f]{2})+")


def urn_nss(value: str) -> Problem | None:
    """The characters of a URN's namespace-specific string (RFC 2141), which FeedSync
    requires of its ids and endpoint names."""
    text = value.strip()
    if not _URN_NSS.fullmatch(text):
        return ("bad-value", f"not a URN namespace-specific string (RFC 2141): {text!r}")
    return None


def yes_no(value: str) -> Problem | None:
    """'yes' or 'no', in lower case (RFC 5023's app:draft and fixed; the schema's token
    type forgives spaces around them)."""
    if value.strip() not in ("yes", "no"):
        return ("bad-boolean", f"'yes' or 'no', not {value.strip()!r}")
    return None


# Commas that separate media ranges: those outside a quoted parameter value.
_RANGE_SEPARATOR = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')


def media_ranges(value: str) -> Problem | None:
    """A comma-separated list of media ranges (RFC 2616 14.1: 'type/subtype', 'type/*'
    or '*/*', with parameters), as RFC 5023's app:accept holds; empty is allowed."""
    if not value.strip():
        return None
    for each in _RANGE_SEPARATOR.split(value):
        if not _MIME.fullmatch(each.strip()):
            return ("bad-mime-type", f"not a media range (such as 'image/*'): {each.strip()!r}")
    return None


# What a URL-encoded value may hold: unreserved characters, '/', and %-escapes.
_URL_ENCODED = re.compile(r"(?:[A-Za-z0-9_.~/-]|%[0-9A-Fa-f]{2})*")


def url_encoded(value: str) -> Problem | None:
    """Words (space-separated) that are URL-encoded, as OpenSearch's searchTerms are."""
    for word in value.split():
        if not _URL_ENCODED.fullmatch(word):
            return ("bad-value", f"not URL-encoded (such as 'red%20wine'): {word!r}")
    return None


def charset(value: str) -> Problem | None:
    """A character encoding's name (XML 1.0 4.3.3, from the IANA registry)."""
    import codecs

    text = value.strip()
    try:
        codecs.lookup(text)
    except LookupError:
        return ("bad-value", f"not a character encoding (such as 'UTF-8'): {text!r}")
    return None


_ISO8601 = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d*)?)?"
    r"(?:Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def iso8601(value: str) -> Problem | None:
    """ISO 8601 as RSS 1.0's modules write it: W3C-DTF, where the zone may be left out."""
    text = value.strip()
    match = _ISO8601.fullmatch(text)
    if match is None:
        return ("bad-date", f"not an ISO 8601 date (such as '2026-12-07T09:30'): {text!r}")
    year, month, day, hour, minute, second = match.groups()
    try:
        datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                 min(int(second or 0), 59))  # fmt: skip
    except ValueError as exc:
        return ("bad-date", f"not a real date or time: {exc}: {text!r}")
    return None


def leading_number(value: str) -> Problem | None:
    """A number of 0 or more, read from the start ('128kbps' is 128): rates and durations
    as Media RSS feeds write them and the W3C validator reads them."""
    if not re.match(r"\d", value.strip()):
        return ("bad-number", f"not a number of 0 or more: {value.strip()!r}")
    return None
