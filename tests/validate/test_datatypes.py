"""The value types of feed vocabularies: examples from their specifications, and no
crash on any text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.validate import datatypes
from syndicate.validate.datatypes import uri_problem
from syndicate.validate.report import CODES

CHECKS = [
    datatypes.web_url, datatypes.integer, datatypes.non_negative_integer,
    datatypes.positive_integer, datatypes.bounded_positive_integer(2_147_483_647),
    datatypes.decimal, datatypes.non_negative_decimal, datatypes.latitude, datatypes.longitude,
    datatypes.true_false, datatypes.one_of(("allow", "deny"), "relationship"),
    datatypes.mime_type, datatypes.language, datatypes.country_code, datatypes.email,
    datatypes.rfc822, datatypes.rfc3339, datatypes.w3cdtf, datatypes.npt_time,
    datatypes.max_length(10), datatypes.nonblank, datatypes.base64_data,
    datatypes.no_spaces_around, datatypes.uri(), datatypes.uri(absolute=False, iri=True),
]  # fmt: skip


@given(st.text())
def test_no_check_fails_on_any_text(value: str) -> None:
    for check in CHECKS:
        problem = check(value)
        assert problem is None or (problem[0] in CODES and problem[1])


@pytest.mark.parametrize(
    ("value", "absolute", "iri", "code"),
    [
        ("https://example.com/news/1", True, False, None),
        ("tag:example.com,2026:story-1", True, False, None),
        ("tag:jo@example.com,2026-12-07:story#2", True, False, None),
        ("tag:example.com:story-1", True, False, "bad-url"),  # RFC 4151 needs the date
        ("urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6", True, False, None),
        ("urn:uuid:60a76c80", True, False, "bad-url"),  # RFC 4122: not a UUID
        ("urn:isbn:0451450523", True, False, None),
        ("urn:x:y", True, False, "bad-url"),  # a namespace id has 2 to 32 characters
        ("https://example.com/brücke", True, False, "bad-url"),  # RSS: URIs only
        ("https://example.com/brücke", True, True, None),  # Atom: IRIs
        ("https://example.com/a b", True, True, "bad-url"),
        ("https://example.com/{id}", True, False, "bad-url"),
        ("https://example.com/100%", True, False, "bad-url"),
        ("news/1", True, False, "relative-url"),
        ("news/1", False, False, None),
        ("http:/example.com", True, False, "bad-url"),
        ("", False, True, "bad-url"),
    ],
)
def test_uris_and_iris(value: str, absolute: bool, iri: bool, code: str | None) -> None:
    problem = uri_problem(value, absolute=absolute, iri=iri)
    assert (problem[0] if problem else None) == code, problem


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (datatypes.positive_integer, ["1", " 42 "], ["0", "-1", "1.5", "", "٣"]),
        (datatypes.non_negative_integer, ["0", "7"], ["-1", "x"]),
        (datatypes.bounded_positive_integer(2_147_483_647), ["2147483647"], ["2147483648"]),
        (datatypes.latitude, ["-90", "45.256"], ["90.5", "north"]),
        (datatypes.longitude, ["-180", "179.9"], ["180.1", ""]),
        (datatypes.true_false, ["true", "false"], ["True", "yes"]),
        (datatypes.mime_type, ["audio/mpeg", 'text/html; charset="utf-8"'], ["audio", "a b/c"]),
        (datatypes.language, ["en", "en-GB", "zh-Hans-CN", "x-klingon"], ["", "english!", "qq"]),
        (datatypes.country_code, ["GB", "us"], ["XX", "GBR"]),
        (datatypes.npt_time, ["12:05:01.123", "90", "now", "5:01"], ["-3", "h12", ""]),
        (datatypes.base64_data, ["aGVsbG8=", "aGVs\n bG8="], ["not base64!"]),
        (datatypes.no_spaces_around, ["2026-12-07T09:00:00Z"], [" 2026-12-07T09:00:00Z"]),
    ],
)
def test_values(check: datatypes.Check, good: list[str], bad: list[str]) -> None:
    assert [v for v in good if check(v) is not None] == []
    assert [v for v in bad if check(v) is None] == []
