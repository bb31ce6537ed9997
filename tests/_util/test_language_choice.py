"""Which of a site's languages a reader gets: from a stored choice or a browser's
Accept-Language header (RFC 9110 12.5.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate._util.language import matching_language, preferred_language

OFFERED = ("en", "de", "pt-BR", "pt", "zh-Hans", "he")


@pytest.mark.parametrize(
    ("asked", "got"),
    [
        ("de", "de"),
        ("DE", "de"),
        ("de-AT", "de"),  # a region of an offered language
        ("pt-BR", "pt-BR"),
        ("pt-PT", "pt"),  # no region before another region
        ("pt", "pt"),
        ("zh-CN", "zh-Hans"),  # CLDR's likely script
        ("zh-TW", None),  # Traditional is not Simplified
        ("de_DE", "de"),  # as Python and POSIX write it
        ("iw", "he"),  # Hebrew's old code, which old browsers still send
        ("fr", None),
        ("", None),
        ("not a tag", None),
    ],
)
def test_a_stored_choice_matches_an_offered_language(asked: str, got: str | None) -> None:
    assert matching_language(asked, OFFERED) == got


@pytest.mark.parametrize(
    ("header", "got"),
    [
        ("de-AT,de;q=0.9,en;q=0.8", "de"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "en"),
        ("en;q=0.1, he", "he"),  # by weight, not by order
        ("de;q=0, en", "en"),  # q=0: not wanted
        ("de;q=2, en", "en"),  # not a q-value
        ("de;q=abc, he", "he"),
        ("*", None),
        ("", None),
        ("ja, ko", None),
        (";;;,,,=", None),
    ],
)
def test_accept_language_is_read_by_weight(header: str, got: str | None) -> None:
    assert preferred_language(header, OFFERED) == got


def test_equal_weights_keep_the_browsers_order() -> None:
    assert preferred_language("he, de", OFFERED) == "he"
    assert preferred_language("de, he", OFFERED) == "de"


@given(st.text(max_size=300))
def test_any_header_gives_an_offered_language_or_none(header: str) -> None:
    assert preferred_language(header, OFFERED) in (*OFFERED, None)


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-zA-Z]{1,3}(-[a-zA-Z0-9]{1,8}){0,2}", fullmatch=True),
            st.floats(min_value=0, max_value=1).map(lambda q: f"{q:.3f}"),
        ),
        max_size=8,
    )
)
def test_well_formed_headers_too(entries: list[tuple[str, str]]) -> None:
    header = ", ".join(f"{tag};q={q}" for tag, q in entries)
    assert preferred_language(header, OFFERED) in (*OFFERED, None)


def test_a_tag_without_a_script_has_cldrs_likely_one() -> None:
    assert matching_language("zh-TW", ["zh"]) is None  # zh: Simplified; zh-TW: Traditional
    assert matching_language("zh-CN", ["zh"]) == "zh"
    assert matching_language("sr-Latn", ["sr"]) is None  # sr: Cyrillic
    assert matching_language("sr-ME", ["sr-Latn"]) == "sr-Latn"
