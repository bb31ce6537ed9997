"""Value checks: each date parser reads back what the standard writers write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.validate.values import (
    contact_problem,
    has_markup,
    rfc822_date,
    rfc3339_date,
    url_problem,
    w3cdtf_date,
)

moments = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
).map(lambda m: m.replace(microsecond=0))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(moments, offsets)
def test_rfc822_reads_what_the_email_package_writes(moment: datetime, zone: timezone) -> None:
    local = moment.astimezone(zone)
    assert rfc822_date(format_datetime(local)) == moment


@given(moments, offsets)
def test_rfc3339_reads_what_isoformat_writes(moment: datetime, zone: timezone) -> None:
    written = moment.astimezone(zone).isoformat().replace("+00:00", "Z")
    assert rfc3339_date(written) == moment
    assert w3cdtf_date(written) == moment


@given(st.text(max_size=40))
def test_date_parsers_never_raise(text: str) -> None:
    for parse in (rfc822_date, rfc3339_date, w3cdtf_date):
        assert isinstance(parse(text), datetime | str)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("Wed, 25 Nov 2026 09:30:00 GMT", True),
        ("25 Nov 2026 09:30 EST", True),
        ("Wed, 25 Nov 26 09:30:00 +0100", True),  # RSS 2.0 allows a two-digit year
        ("Wed, 25 Nov 2026 09:30:00 Z", True),
        ("Thu, 25 Nov 2026 09:30:00 GMT", False),  # the 25th is a Wednesday
        ("Wed, 31 Nov 2026 09:30:00 GMT", False),
        ("Wed, 25 Nov 2026 09:30:00 CET", False),  # not an RFC 822 zone
        ("2026-11-25T09:30:00Z", False),
        ("Wed, 25 Nov 2026 25:30:00 GMT", False),
    ],
)
def test_rfc822_profile_of_rss(text: str, valid: bool) -> None:
    assert isinstance(rfc822_date(text), datetime) is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2026-11-25T09:30:00Z", True),
        ("2026-11-25T09:30:00.123+05:30", True),
        ("2026-11-25t09:30:00z", False),  # RFC 4287 3.3: T and Z upper case
        ("2026-11-25 09:30:00Z", False),
        ("2026-11-25T09:30:00", False),  # no zone
        ("2026-02-30T09:30:00Z", False),
    ],
)
def test_rfc3339_as_atom_wants_it(text: str, valid: bool) -> None:
    assert isinstance(rfc3339_date(text), datetime) is valid


def test_json_feed_dates_take_either_case() -> None:
    assert isinstance(rfc3339_date("2026-11-25t09:30:00z", strict_case=False), datetime)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://news.example.com/a/b?c=d#e", None),
        ("https://news.example.com/caf%C3%A9", None),
        ("https://news.example.com/καφές", None),  # an IRI
        ("/world/story/", "relative-url"),
        ("https://news.example.com/a b", "bad-url"),
        ("https://news.example.com/100%", "bad-url"),
        ("https:///path", "bad-url"),
        ("https://news.example.com:port/", "bad-url"),
        ("1http://x/", "bad-url"),
        ("", "bad-url"),
    ],
)
def test_urls(url: str, code: str | None) -> None:
    problem = url_problem(url)
    assert (problem[0] if problem else None) == code


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("jo@example.com", True),
        ("jo@example.com (Jo Bloggs)", True),
        ("Jo Bloggs <jo@example.com>", True),
        ("Jo Bloggs", False),
        ("jo@localhost", False),
        ("jo@@example.com", False),
    ],
)
def test_rss_contacts(text: str, valid: bool) -> None:
    assert (contact_problem(text) is None) is valid


@pytest.mark.parametrize(
    ("text", "markup"),
    [
        ("Budget <b>cuts</b>", True),
        ('See <a href="x">this</a>', True),
        ("Budget &lt;b&gt;cuts", True),
        ("Inflation < 2% and > 1%", False),
        ("a <-> b", False),
        ("Rock <em>and</em> roll", True),
    ],
)
def test_markup_in_titles(text: str, markup: bool) -> None:
    assert has_markup(text) is markup
