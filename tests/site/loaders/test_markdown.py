from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.errors import Problem, RecordError
from syndicate.site.loaders.markdown import load_markdown
from syndicate.site.records import RelatedRef, Source
from tests.factories import markdown_record


def load(text: str, warnings: list[Problem] | None = None):  # type: ignore[no-untyped-def]
    return load_markdown(
        text, Source("articles/world/x.md", 1), "world/x", [] if warnings is None else warnings
    )


def test_front_matter_fields_and_markdown_body() -> None:
    text = """---
title: "Budget <b>&</b> Bonds"
id: world/budget
section: World
published: 2026-11-20T08:30:00+01:00
updated: 2026-11-21
authors: [Ines Marlowe, Teodor Vance]
summary: A short summary.
image:
  url: https://news.example.com/i.jpg
  alt: A harbour at dawn
tags: [harbour, ships]
related:
  - Another Story
  - id: business/levy
  - url: https://news.example.com/world/x/
---
Para with **bold** and a [link](/world/other/).

Second para.
"""
    raw = load(text)
    assert raw.title == "Budget <b>&</b> Bonds"
    assert raw.id == "world/budget"
    assert raw.section == "World"
    assert raw.published == datetime.fromisoformat("2026-11-20T08:30:00+01:00")
    assert raw.updated == datetime(2026, 11, 21)
    assert raw.authors == ("Ines Marlowe", "Teodor Vance")
    assert raw.summary == "A short summary."
    assert (raw.image_url, raw.image_alt) == ("https://news.example.com/i.jpg", "A harbour at dawn")
    assert raw.tags == ("harbour", "ships")
    assert raw.related == (
        RelatedRef("title", "Another Story"),
        RelatedRef("id", "business/levy"),
        RelatedRef("url", "https://news.example.com/world/x/"),
    )
    assert "<strong>bold</strong>" in raw.body
    assert raw.body.count("<p>") == 2
    assert raw.line_of("tags") == 12
    assert raw.fallback_id == "world/x"


def test_single_author_and_image_as_url() -> None:
    raw = load(markdown_record({"title": "T", "author": "Kit Amberley", "image": "/i.png"}))
    assert raw.authors == ("Kit Amberley",)
    assert raw.image_url == "/i.png"
    assert raw.image_alt is None


def test_heading_is_the_title_when_front_matter_has_none() -> None:
    raw = load("---\nsection: World\n---\n# The Heading\n\nText.\n")
    assert raw.title == "The Heading"
    assert "The Heading" not in raw.body


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("---\nsection: World\n---\nNo title here.\n", "title", 1),
        ("---\ntitle: T\npublished: next tuesday\n---\n", "published", 3),
        ("---\ntitle: T\nauthors: {a: 1}\n---\n", "authors", 3),
        ("---\ntitle: [1, 2]\n---\n", "title", 2),
        ("---\ntitle: T\nrelated: Just a string\n---\n", "related", 3),
        ("---\ntitle: T\nrelated: [{name: x}]\n---\n", "related", 3),
        ("---\ntitle: T\nimage: {url: 3}\n---\n", "image", 3),
        ("---\ntitle: T\nauthor: A\nauthors: [B]\n---\n", "author", 3),
        ("---\ntitle: T\npublished: 1700000000\n---\n", "published", 3),
    ],
)
def test_bad_fields_name_field_and_line(text: str, field: str, line: int) -> None:
    with pytest.raises(RecordError) as caught:
        load(text)
    assert caught.value.problem.field == field
    assert caught.value.problem.line == line
    assert caught.value.problem.file == "articles/world/x.md"


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(RecordError) as caught:
        load("---\ntitle: T\nsection: [World\n---\nBody\n")
    assert caught.value.problem.line is not None and caught.value.problem.line >= 3
    assert "YAML" in caught.value.message


def test_front_matter_without_its_closing_line() -> None:
    with pytest.raises(RecordError, match="closing"):
        load("---\ntitle: T\nBody without a closing line\n")


def test_front_matter_that_is_not_a_mapping() -> None:
    with pytest.raises(RecordError, match="mapping"):
        load("---\n- a\n- b\n---\nBody\n")


def test_unknown_fields_are_warnings_not_errors() -> None:
    warnings: list[Problem] = []
    raw = load("---\ntitle: T\ncolour: red\n---\nBody\n", warnings)
    assert raw.title == "T"
    assert [(w.field, w.line) for w in warnings] == [("colour", 3)]


def test_yaml_tags_cannot_run_code() -> None:
    with pytest.raises(RecordError):
        load("---\ntitle: !!python/object/apply:os.system ['echo hi']\n---\n")


_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s)


@settings(max_examples=150, deadline=None)
@given(
    title=_text,
    authors=st.lists(_text, max_size=3),
    tags=st.lists(_text, max_size=3),
    related=st.lists(_text.filter(lambda s: not s.startswith(("http://", "https://"))), max_size=3),
    published=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
)
def test_round_trip_through_front_matter(
    title: str,
    authors: list[str],
    tags: list[str],
    related: list[str],
    published: datetime,
    day: date,
) -> None:
    published = published.replace(microsecond=0)
    text = markdown_record(
        {
            "title": title,
            "authors": authors,
            "tags": tags,
            "related": related,
            "published": published.isoformat(),
            "updated": day.isoformat(),
        }
    )
    raw = load(text)
    assert raw.title == title
    assert raw.authors == tuple(authors)
    assert raw.tags == tuple(tags)
    assert [r.value for r in raw.related] == related
    assert raw.published == published
    assert raw.updated == datetime(day.year, day.month, day.day)


@pytest.mark.parametrize(
    ("front", "line", "words"),
    [
        ("id: d\n  title: t\n", 3, "not valid YAML"),
        ("title: x\npublished: 2026-02-30\n", 1, "cannot read"),
        ("title: x\nid: " + "9" * 5000 + "\n", 1, "cannot read"),
    ],
)
def test_yaml_problems_are_located_and_named(front: str, line: int, words: str) -> None:
    with pytest.raises(RecordError) as caught:
        load(f"---\n{front}---\nBody\n")
    assert caught.value.problem.line == line
    assert words in caught.value.message
