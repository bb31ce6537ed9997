"""The importer of scraped `.txt` pages (SPEC section 2).

All page text here is made up; the real seed page is only read at run time.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest

from syndicate._util.text import decode
from syndicate.errors import Problem, RecordError
from syndicate.site.loaders import load_articles
from syndicate.site.loaders.scraped import ScrapeRules
from syndicate.site.records import Source
from tests.site.loaders.scraped_pages import (
    BANNER,
    BANNER_LINES,
    FILE,
    FORBIDDEN_SAMPLES,
    PARAS,
    SEED,
    load,
    page,
    paragraphs_of,
    titles,
)

# --- the real seed page ---------------------------------------------------------


def _seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"seed page not found at {SEED}")
    text, fallback = decode(SEED.read_bytes())
    assert not fallback
    return text


def test_seed_page() -> None:
    text = _seed_text()
    lines = text.split("\n")
    header = lines[0].rsplit(" | ", 2)
    start = next(i for i, line in enumerate(lines) if line.strip() == "Related posts")
    expected_related: list[str] = []
    blanks = 0
    for line in lines[start + 1 :]:
        if not line.strip():
            blanks += 1
            if blanks >= 2 and expected_related:
                break
            continue
        blanks = 0
        expected_related.append(line.strip())
    banner = [line for line in lines if line.strip()][-1]
    assert "cookie" in banner.lower()  # the page ends in its cookie banner

    warnings: list[Problem] = []
    article = load(text, warnings=warnings, file="articles/seed.txt")

    assert article.title == header[0].strip()
    assert article.section == "World"
    assert article.site == header[2].strip()
    assert article.body.count("<p>") == 16
    assert len(paragraphs_of(article.body)) == 16
    assert len(expected_related) == 3
    assert titles(article) == expected_related
    for text_out in [article.body, *titles(article)]:
        assert "cookie" not in text_out.lower()
        assert banner.strip() not in text_out
        assert html.escape(banner.strip(), quote=False) not in text_out
    assert article.title not in paragraphs_of(article.body)
    assert warnings == []


def test_seed_through_load_articles(tmp_path: Path) -> None:
    data = _seed_text().encode("utf-8")
    folder = tmp_path / "articles" / "world"
    folder.mkdir(parents=True)
    (folder / "seed.txt").write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    result = load_articles(tmp_path / "articles", ScrapeRules.build())
    assert result.errors == []
    (article,) = result.records
    assert article.section == "World"
    assert article.body.count("<p>") == 16
    assert len(article.related) == 3
    assert article.source == Source("articles/world/seed.txt", 1)
    assert article.fallback_id == "world/seed"


# --- header ---------------------------------------------------------------------


def test_basic_page() -> None:
    article = load(page(related=["Storm Closes Coast Road", "Ferry Fares Rise"]))
    assert article.title == "Harbour Reopens After Storm"
    assert article.section == "World"
    assert article.site == "harbour-courier.example"
    assert paragraphs_of(article.body) == list(PARAS)
    assert titles(article) == ["Storm Closes Coast Road", "Ferry Fares Rise"]
    assert article.fallback_id == "world/harbour"
    assert article.source == Source(FILE, 1)


def test_pipe_inside_headline_splits_from_the_right() -> None:
    headline = "Q&A | Part 2 | The Harbour Master"
    article = load(page(headline=headline, section="Business"))
    assert article.title == headline
    assert article.section == "Business"
    assert article.site == "harbour-courier.example"
    # The repeated headline (with its pipes) is not mistaken for a paragraph.
    assert paragraphs_of(article.body) == list(PARAS)


def test_two_part_header() -> None:
    site_only = load(page(header="Harbour Reopens After Storm | harbour-courier.example"))
    assert (site_only.section, site_only.site) == (None, "harbour-courier.example")
    section_only = load(page(header="Harbour Reopens After Storm | World"))
    assert (section_only.section, section_only.site) == ("World", None)


def test_site_that_is_not_a_domain_is_a_warning() -> None:
    warnings: list[Problem] = []
    article = load(page(site="not a domain"), warnings=warnings)
    assert article.site is None
    assert [(w.file, w.line, w.field) for w in warnings] == [(FILE, 1, "site")]


@pytest.mark.parametrize("first_line", ["Harbour Reopens After Storm", "Just - a dash - here"])
def test_first_line_without_pipe_is_an_error(first_line: str) -> None:
    with pytest.raises(RecordError) as caught:
        load(page(header=first_line))
    assert caught.value.problem.file == FILE
    assert caught.value.problem.line == 1
    assert caught.value.problem.field == "title"


def test_empty_headline_is_an_error() -> None:
    with pytest.raises(RecordError) as caught:
        load(page(header="  | World | harbour-courier.example"))
    assert (caught.value.problem.file, caught.value.problem.field) == (FILE, "title")


def test_leading_blank_lines_before_the_header() -> None:
    article = load("\n  \n\t\n" + page())
    assert article.title == "Harbour Reopens After Storm"
    assert article.source == Source(FILE, 4)
    assert article.line_of("title") == 4
    assert paragraphs_of(article.body) == list(PARAS)


def test_malformed_header_after_blank_lines_names_its_line() -> None:
    with pytest.raises(RecordError) as caught:
        load("\n\n" + page(header="No separators at all"))
    assert caught.value.problem.line == 3
    assert str(caught.value).startswith(f"{FILE}:3: title: ")


# --- line endings, BOM, characters ------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_endings_through_decode(newline: str) -> None:
    data = page(related=["Ferry Fares Rise"], newline=newline).encode("utf-8")
    text, fallback = decode(data)
    assert not fallback
    article = load(text)
    assert article.title == "Harbour Reopens After Storm"
    assert article.site == "harbour-courier.example"
    assert paragraphs_of(article.body) == list(PARAS)
    assert titles(article) == ["Ferry Fares Rise"]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_endings_given_straight_to_the_importer(newline: str) -> None:
    article = load(page(related=["Ferry Fares Rise"], newline=newline))
    assert article.site == "harbour-courier.example"
    assert paragraphs_of(article.body) == list(PARAS)
    assert titles(article) == ["Ferry Fares Rise"]
    assert "\r" not in article.body


def test_byte_order_mark_through_decode() -> None:
    text, _ = decode(b"\xef\xbb\xbf" + page().encode("utf-8"))
    article = load(text)
    assert article.title == "Harbour Reopens After Storm"


def test_byte_order_mark_given_straight_to_the_importer() -> None:
    article = load("\ufeff" + page())
    assert article.title == "Harbour Reopens After Storm"


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
        lambda s: b"\xef\xbb\xbf" + s.replace("\n", "\r\n").encode("utf-8"),
        lambda s: s.encode("utf-16"),
    ],
    ids=["utf8-bom", "utf8-bom-crlf", "utf16-bom"],
)
def test_byte_order_mark_through_load_articles(
    tmp_path: Path, encode: Callable[[str], bytes]
) -> None:
    folder = tmp_path / "articles" / "world"
    folder.mkdir(parents=True)
    text = page(headline="Καστρόπολη Harbour Reopens", related=["Ferry Fares Rise"])
    (folder / "harbour.txt").write_bytes(encode(text))
    result = load_articles(tmp_path / "articles", ScrapeRules.build())
    assert result.errors == []
    assert result.warnings == []
    (article,) = result.records
    assert article.title == "Καστρόπολη Harbour Reopens"
    assert article.section == "World"
    assert paragraphs_of(article.body) == list(PARAS)
    assert titles(article) == ["Ferry Fares Rise"]


def test_xml_forbidden_characters_are_removed() -> None:
    dirt = "".join(FORBIDDEN_SAMPLES)
    article = load(
        page(
            headline=f"Harbour{dirt} Reopens",
            section=f"Wor{dirt}ld",
            site=f"harbour-courier{dirt}.example",
            paragraphs=[f"The harbour{dirt} reopened.", f"{dirt}Ferries run."],
            related=[f"Ferry{dirt} Fares Rise"],
        )
    )
    assert article.title == "Harbour Reopens"
    assert article.section == "World"
    assert article.site == "harbour-courier.example"
    assert paragraphs_of(article.body) == ["The harbour reopened.", "Ferries run."]
    assert titles(article) == ["Ferry Fares Rise"]


def test_a_line_of_forbidden_characters_only_is_blank() -> None:
    text = page(paragraphs=["First part.", "\x00\x01\x0b", "Second part."])
    assert paragraphs_of(load(text).body) == ["First part.", "Second part."]


INTERNATIONAL = [
    "Καστρόπολη: το λιμάνι ξανανοίγει",
    "افتتاح الميناء من جديد",
    "港口在风暴后重新开放",
    "港が再開 🚢🎉 👩\u200d👩\u200d👧",
    "Cafe\u0301 ou\u0308 n\u0303",  # decomposed accents must not be recomposed
    "\u05e9\u05dc\u05d5\u05dd \u200fRTL\u200e",
    "Zero\u200bwidth and \ufeffZWNBSP inside, \U0001d11e, \U000e0041 and \ue000",
]


@pytest.mark.parametrize("words", INTERNATIONAL)
def test_every_other_unicode_character_is_kept(words: str) -> None:
    article = load(
        page(
            headline=words,
            section=words,
            paragraphs=[f"Before\u00a0after and {words}", f"{words} — end."],
            related=[words],
        )
    )
    assert article.title == words
    assert article.section == words
    assert paragraphs_of(article.body) == [f"Before\u00a0after and {words}", f"{words} — end."]
    assert titles(article) == [words]


def test_no_break_space_inside_a_paragraph_is_kept() -> None:
    article = load(page(paragraphs=["10\u00a0km of quay", "M.\u00a0Dupont\u202fsaid\u00a0: yes"]))
    assert paragraphs_of(article.body) == [
        "10\u00a0km of quay",
        "M.\u00a0Dupont\u202fsaid\u00a0: yes",
    ]


# --- markup is text ---------------------------------------------------------------


def test_markup_in_headline_and_paragraph_is_literal_text() -> None:
    headline = "<script>alert('x')</script> Harbour <b>bold</b> & \"quoted\""
    paragraph = "Text <script>alert(1)</script> with <b>tags</b>, &amp; an entity & more."
    article = load(page(headline=headline, paragraphs=[paragraph], related=["<i>Ferry</i>"]))
    assert article.title == headline
    assert "<script" not in article.body
    assert "<b>" not in article.body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article.body
    assert "&amp;amp; an entity &amp; more." in article.body
    assert paragraphs_of(article.body) == [paragraph]
    assert titles(article) == ["<i>Ferry</i>"]


def test_hard_wrapped_paragraph_is_joined() -> None:
    article = load(page(paragraphs=["The harbour\nreopened  on\n  Monday.", "Second."]))
    assert paragraphs_of(article.body) == ["The harbour reopened  on Monday.", "Second."]


# --- the repeated headline ----------------------------------------------------------


@pytest.mark.parametrize("repeats", [0, 1, 2, 3])
def test_headline_repeated_any_number_of_times(repeats: int) -> None:
    article = load(page(repeats=repeats))
    assert paragraphs_of(article.body) == list(PARAS)
    assert article.line_of("body") == 3 + 2 * repeats


def test_repeated_headline_matches_loosely() -> None:
    text = page(repeats=0, paragraphs=["HARBOUR REOPENS — after storm!", *PARAS])
    assert paragraphs_of(load(text).body) == list(PARAS)


def test_headline_words_later_in_the_story_are_kept() -> None:
    text = page(paragraphs=[PARAS[0], "Harbour Reopens After Storm", PARAS[1]])
    assert paragraphs_of(load(text).body) == [PARAS[0], "Harbour Reopens After Storm", PARAS[1]]


# --- related posts ------------------------------------------------------------------


def test_no_related_block() -> None:
    article = load(page(related=None))
    assert article.related == ()
    assert paragraphs_of(article.body) == list(PARAS)


@pytest.mark.parametrize("boilerplate", [(BANNER,), ()])
def test_empty_related_block(boilerplate: tuple[str, ...]) -> None:
    article = load(page(related=[], boilerplate=boilerplate))
    assert article.related == ()
    assert paragraphs_of(article.body) == list(PARAS)
    assert "Related posts" not in article.body


@pytest.mark.parametrize("gap", ["\n", "\n\n"], ids=["adjacent", "blank-separated"])
def test_related_titles_with_or_without_blank_lines(gap: str) -> None:
    related = ["Storm Closes Coast Road", "Ferry Fares Rise", "Lighthouse Keeper Retires"]
    article = load(page(related=related, related_gap=gap))
    assert titles(article) == related
    assert paragraphs_of(article.body) == list(PARAS)
    assert article.line_of("related") == 3 + 4 + 4  # header, 2 headlines, 2 paragraphs


def test_related_titles_keep_their_text_but_not_surrounding_spaces() -> None:
    article = load(page(related=["  Ferry   Fares Rise  ", "\tStorm Closes Road"]))
    assert titles(article) == ["Ferry Fares Rise", "Storm Closes Road"]


# --- pages with no article ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("", "title", 1),
        ("   \n\t\n \u00a0 \n", "title", 1),
        ("\x00\x01\n\x0b\n", "title", 1),
        ("Harbour Reopens | World | harbour-courier.example", "body", 1),
        ("Harbour Reopens | World | harbour-courier.example\n\n\n", "body", 3),
        (page(paragraphs=[], boilerplate=()), "body", 5),
        (page(paragraphs=[], boilerplate=(), repeats=3), "body", 7),
        (page(paragraphs=[]), "body", 8),
        (page(paragraphs=["Advertisement", "Share on Facebook", "Tweet"]), "body", 7),
        (page(paragraphs=[], related=["Ferry Fares Rise"]), "body", 7),
        (page(paragraphs=[], boilerplate=BANNER_LINES), "body", 8),
    ],
    ids=[
        "empty",
        "whitespace",
        "forbidden-only",
        "header-only",
        "header-and-blank-lines",
        "headline-repeated-only",
        "headline-thrice-only",
        "headline-and-banner",
        "only-boilerplate",
        "related-but-no-body",
        "split-banner-only",
    ],
)
def test_page_without_an_article_is_an_error(text: str, field: str, line: int) -> None:
    with pytest.raises(RecordError) as caught:
        load(text)
    problem = caught.value.problem
    assert (problem.file, problem.field, problem.line) == (FILE, field, line)
    assert str(caught.value).startswith(f"{FILE}:{line}: {field}: ")


def test_bad_pages_are_errors_and_the_others_still_load(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    (folder / "world").mkdir(parents=True)
    (folder / "world" / "good.txt").write_text(page(), "utf-8")
    (folder / "world" / "empty.txt").write_bytes(b"")
    (folder / "world" / "bom-only.txt").write_bytes(b"\xef\xbb\xbf\r\n")
    (folder / "world" / "no-pipe.txt").write_text("Just a headline\n\nText.\n", "utf-8")
    (folder / "world" / "banner.txt").write_text(page(paragraphs=[]), "utf-8")
    result = load_articles(folder, ScrapeRules.build())
    assert [r.title for r in result.records] == ["Harbour Reopens After Storm"]
    assert sorted((p.file, p.field) for p in result.errors) == [
        ("articles/world/banner.txt", "body"),
        ("articles/world/bom-only.txt", "title"),
        ("articles/world/empty.txt", "title"),
        ("articles/world/no-pipe.txt", "title"),
    ]
