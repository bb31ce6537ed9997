"""Checks of single values: dates, URLs, email addresses, language codes, markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ZONES = {"ut": 0, "gmt": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5}
_ZONES |= {"mst": -7, "mdt": -6, "pst": -8, "pdt": -7}
# RFC 822 section 5, with the RSS 2.0 profile's two- or four-digit year.
_RFC822 = re.compile(
    r"(?:(?P<dow>[A-Za-z]{3}),\s*)?(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3})\s+"
    r"(?P<year>\d{4}|\d{2})\s+(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s+"
    r"(?P<zone>[A-Za-z]{1,3}|[+-]\d{4})"
)
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_W3CDTF = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"(Z|[+-]\d{2}:\d{2}))?)?)?"
)
# RFC 1766 / BCP 47: a two- or three-letter language (or i-, x- tags), then subtags.
_LANGUAGE = re.compile(r"(?:[A-Za-z]{2,3}|[iIxX]-[A-Za-z0-9]{1,8})(?:-[A-Za-z0-9]{1,8})*")
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\".]+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_BAD_URL_CHARACTER = re.compile(r"[\x00-\x20\x7f<>\"\\]|%(?![0-9A-Fa-f]{2})")
_MARKUP = re.compile(
    r"<\s*/?\s*(?:a|b|i|u|em|strong|br|p|span|div|img|font|sup|sub|code|small|big|q|cite|abbr)"
    r"\b[^<>]*/?>|&lt;\s*/?\s*(?:b|i|em|strong|br|p|span)\b",
    re.IGNORECASE,
)


def rfc822_date(value: str) -> datetime | str:
    """The moment, or why the text is not an RFC 822 date."""
    # RFC 822 allows comments, as in '+0000 (UTC)'.
    match = _RFC822.fullmatch(re.sub(r"\s*\([^()]*\)\s*$", "", value.strip()))
    if match is None:
        return "not an RFC 822 date (such as 'Wed, 25 Nov 2026 09:30:00 GMT')"
    month = match["month"].lower()
    if month not in _MONTHS:
        return f"{match['month']!r} is not a month name"
    zone = match["zone"]
    if zone[0] in "+-":
        sign = -1 if zone[0] == "-" else 1
        hours, minutes = int(zone[1:3]), int(zone[3:5])
        if minutes > 59:
            return f"{zone!r} is not a time zone offset"
        offset = timedelta(hours=hours, minutes=minutes) * sign
    elif zone.lower() in _ZONES:
        offset = timedelta(hours=_ZONES[zone.lower()])
    elif len(zone) == 1 and zone.lower() != "j":
        offset = timedelta(0)  # military zones: RFC 1123 says treat them as unknown
    else:
        return f"{zone!r} is not an RFC 822 time zone"
    year = int(match["year"])
    if len(match["year"]) == 2:
        year += 2000 if year < 50 else 1900
    try:
        moment = datetime(
            year,
            _MONTHS.index(month) + 1,
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
        )
    except ValueError as exc:
        return f"not a real date or time: {exc}"
    dow = match["dow"]
    if dow is not None:
        if dow.lower() not in _DAYS:
            return f"{dow!r} is not a day name"
        if _DAYS.index(dow.lower()) != moment.weekday():
            return f"{moment:%d %b %Y} is a {_DAYS[moment.weekday()].title()}, not a {dow}"
    return (moment - offset).replace(tzinfo=UTC)


def rfc3339_date(value: str, *, strict_case: bool = True) -> datetime | str:
    """The moment, or why the text is not an RFC 3339 date-time (Atom wants 'T' and 'Z'
    in upper case; JSON Feed takes RFC 3339 as written, where case does not matter)."""
    text = value.strip() if strict_case else value.strip().upper()
    match = _RFC3339.fullmatch(text)
    if match is None:
        return "not an RFC 3339 date-time (such as '2026-11-25T09:30:00Z')"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(":60", ":59"))
    except ValueError as exc:
        return f"not a real date or time: {exc}"
    return moment.astimezone(UTC)


def w3cdtf_date(value: str) -> datetime | str:
    """Dublin Core dates (W3C-DTF): a year, a month, a day, or a full date-time."""
    match = _W3CDTF.fullmatch(value.strip())
    if match is None:
        return "not a W3C-DTF date (such as '2026-11-25' or '2026-11-25T09:30:00Z')"
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0),
        )  # fmt: skip
    except ValueError as exc:
        return f"not a real date or time: {exc}"
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        moment -= timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])) * sign
    return moment.replace(tzinfo=UTC)


def implausible(moment: datetime, now: datetime) -> bool:
    return moment.year < 1990 or moment > now + timedelta(days=366)


def url_problem(value: str, *, absolute: bool = True) -> tuple[str, str] | None:
    """(code, reason) when `value` is no URL, or is relative and must not be."""
    text = value.strip()
    if not text:
        return ("bad-url", "empty where a URL belongs")
    bad = _BAD_URL_CHARACTER.search(text)
    if bad is not None:
        return ("bad-url", f"character {bad.group()!r} is not allowed in a URL: {text!r}")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError as exc:
        return ("bad-url", f"not a well-formed URL ({exc}): {text!r}")
    if not parts.scheme and ":" in text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return ("bad-url", f"not a URL scheme: {text.split(':', 1)[0]!r}")
    if not parts.scheme:
        if absolute:
            return ("relative-url", f"a relative URL where an absolute one is required: {text!r}")
        return None
    if not _SCHEME.fullmatch(parts.scheme):
        return ("bad-url", f"not a URL scheme: {parts.scheme!r}")
    if parts.scheme.lower() in ("http", "https") and not parts.hostname:
        return ("bad-url", f"an {parts.scheme} URL without a host: {text!r}")
    return None


def reads_as_web_url(value: str) -> bool:
    """Whether a feed's value reads as an http(s) URL, as a reader takes it (spaces
    around it and the scheme's case forgiven): laxer than what we write."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:  # an unclosed IPv6 bracket, say
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def is_address(value: str) -> bool:
    return _ADDRESS.fullmatch(value.strip()) is not None


def contact_problem(value: str) -> str | None:
    """RSS 2.0 people (author, managingEditor, webMaster) are email addresses, as
    `jo@example.com` or `jo@example.com (Jo Bloggs)`; `Jo <jo@example.com>` is read too."""
    text = value.strip()
    named = re.fullmatch(r"(\S+)\s*\((.*)\)", text, re.DOTALL)
    angled = re.fullmatch(r"[^<>]*<([^<>]+)>", text)
    address = named.group(1) if named else angled.group(1) if angled else text
    if is_address(address):
        return None
    return f"not an email address, nor 'address (Name)': {text!r}"


def is_language(value: str) -> bool:
    return _LANGUAGE.fullmatch(value.strip()) is not None


def has_markup(text: str) -> bool:
    return _MARKUP.search(text) is not None
