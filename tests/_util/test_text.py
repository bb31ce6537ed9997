from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from syndicate._util.text import (
    _unicode_slug,
    decode,
    normalised_title,
    one_line,
    slugify,
    xml_safe,
)

XML_FORBIDDEN = {*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF}


def test_decode_handles_bom_crlf_and_cp1252() -> None:
    assert decode("\ufeffA\r\nB\rC".encode()) == ("A\nB\nC", False)
    assert decode("Caf\u00e9 \u2013 x".encode("cp1252")) == ("Caf\u00e9 \u2013 x", True)
    assert decode("\ufeffhi".encode("utf-16-le")) == ("hi", False)


@given(st.text())
def test_xml_safe_leaves_no_forbidden_character(text: str) -> None:
    cleaned = xml_safe(text)
    assert not any(ord(c) in XML_FORBIDDEN or 0xD800 <= ord(c) <= 0xDFFF for c in cleaned)
    assert one_line(text) == one_line(cleaned)
    assert "\n" not in one_line(text)


ODD_SPACES = st.sampled_from(" \t\n\x01\x85\xa0\u2028\ufffe\ud800")


@given(st.text(st.characters(codec="utf-8") | ODD_SPACES))
def test_one_line_takes_plain_text_as_it_is_and_cleans_the_rest(text: str) -> None:
    assert one_line(text) == re.sub(r"\s+", " ", xml_safe(text)).strip()


def test_xml_safe_keeps_every_other_character() -> None:
    text = "Καστρόπολη مرحبا 東京 🚢 e\u0301 \u00a0\t\n"
    assert xml_safe(text) == text


def test_slugs_are_readable_in_every_script() -> None:
    assert slugify("Velmar Harbour Reopens!") == "velmar-harbour-reopens"
    assert slugify("Café déjà vu") == "cafe-deja-vu"
    assert slugify("Flood in Καστρόπολη") == "flood-in-καστρόπολη"
    assert slugify("東京の港") == "東京の港"
    assert slugify("हिन्दी समाचार") == "हिन्दी-समाचार"
    assert slugify("<b>&</b>") == "b-b"
    assert slugify("!!!") == ""


@given(st.text())
def test_slugs_never_contain_separators_or_spaces(text: str) -> None:
    slug = slugify(text)
    assert not any(c in slug for c in " /?#%&<>\"'\n\t")
    assert not slug.startswith("-") and not slug.endswith("-")
    assert len(slug) <= 80


def test_normalised_titles_ignore_case_accents_and_punctuation() -> None:
    assert normalised_title("Ferry Strike Ends | Talks Resume") == normalised_title(
        "ferry strike ends: talks resume"
    )
    assert normalised_title("Café") == normalised_title("CAFE")


def general_slug(text: str, max_length: int) -> str:
    """slugify by the Unicode path alone, whatever the text: what the ASCII path must match."""
    slug = _unicode_slug(text)
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


@given(st.text(st.characters(max_codepoint=0x7F)), st.integers(1, 100))
def test_the_ascii_path_slugs_as_the_unicode_path_does(text: str, max_length: int) -> None:
    assert slugify(text, max_length) == general_slug(text, max_length)


@given(st.text(), st.integers(1, 100))
def test_slugs_of_any_text_are_those_of_the_unicode_path(text: str, max_length: int) -> None:
    assert slugify(text, max_length) == general_slug(text, max_length)


def test_every_ascii_character_slugs_as_the_unicode_path_does() -> None:
    every = "".join(map(chr, range(128)))
    for text in (every, every[::-1], *every, "Ferry strike 42 ends:\x1ftalks\x7fresume"):
        assert slugify(text) == general_slug(text, 80), repr(text)
    assert normalised_title(every) == " ".join(general_slug(every, 10_000).split("-"))


@given(
    st.text(st.characters(exclude_categories=()) | st.sampled_from("\x00\x0b\x7f\x85\x9f\ufffe\t"))
)
def test_xml_safe_removes_what_the_two_rules_remove_one_after_the_other(text: str) -> None:
    forbidden = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
    c1 = re.compile("[\x7f-\x84\x86-\x9f]")
    assert xml_safe(text) == c1.sub("", forbidden.sub("", text))
