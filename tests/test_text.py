from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from syndicate.text import decode, normalised_title, one_line, slugify, xml_safe

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
