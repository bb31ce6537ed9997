"""Property tests of the scraped-page importer (hypothesis)."""

from __future__ import annotations

import html
import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from syndicate._util.text import decode, normalised_title, one_line
from syndicate.errors import Problem, RecordError
from syndicate.site.loaders.scraped import ScrapeRules
from syndicate.site.records import RawArticle
from tests.site.loaders.scraped_pages import (
    BANNER,
    BANNER_LINES,
    FILE,
    FORBIDDEN_SAMPLES,
    XML_FORBIDDEN,
    load,
    page,
    paragraphs_of,
    titles,
)

# --- properties ---------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "|",
        " | ",
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        "\ufeff",
        "Related posts",
        "Got it Learn more",
        "We use cookies.",
        "Advertisement",
        "© 2024",
        "<script>",
        "&amp;",
        "\u00a0",
        "\u2028",
        "\x85",
    ]
)


def _no_forbidden(article: RawArticle) -> None:
    values = [article.title, article.section or "", article.site or "", article.body]
    values += [ref.value for ref in article.related]
    for value in values:
        assert not XML_FORBIDDEN.search(value), value


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.text(), FRAGMENTS, st.sampled_from(FORBIDDEN_SAMPLES)), max_size=40).map(
        "".join
    ),
    st.booleans(),
)
def test_any_text_gives_an_article_or_a_record_error(text: str, defaults: bool) -> None:
    rules = ScrapeRules.build([r"^Follow us\n.*$"], keep_defaults=defaults)
    try:
        article = load(text, rules)
    except RecordError as exc:
        assert exc.problem.file == FILE
        assert exc.problem.field in ("title", "body")
        return
    _no_forbidden(article)
    assert article.title
    assert article.body.startswith("<p>")
    assert "<script" not in article.body


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60), st.text(max_size=200))
def test_any_header_and_body_text_is_cleaned(headline: str, section: str, body: str) -> None:
    text = "".join(FORBIDDEN_SAMPLES) + f"{headline} | {section} | site.example\n\n{body}"
    try:
        article = load(text)
    except RecordError:
        return
    _no_forbidden(article)


_CHARS = st.characters(
    exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\ufffe\uffff\ufeff"
)
_WORDS = st.text(_CHARS, min_size=1, max_size=40).filter(lambda s: s.strip())
_RULES = ScrapeRules.build()
_HEADING_LIKE = re.compile(
    r"^\s*(?:related\b.*|more on this story|you may also like|see also|read next)\s*:?\s*$",
    re.IGNORECASE,
)


def _plain(line: str) -> bool:
    """A line no default rule takes for boilerplate or for a related-posts heading."""
    return not _HEADING_LIKE.match(line) and not any(p.search(line) for p in _RULES.patterns)


def _key(text: str) -> str:
    return normalised_title(text) or one_line(text)


@settings(max_examples=200, deadline=None)
@given(
    headline=_WORDS.filter(lambda s: "|" not in s),
    section=st.text(_CHARS, max_size=20).filter(lambda s: "|" not in s),
    site=st.from_regex(r"[a-z0-9]{1,10}(?:-[a-z0-9]{1,5})?(?:\.[a-z]{2,6}){1,2}", fullmatch=True),
    paragraphs=st.lists(st.lists(_WORDS, min_size=1, max_size=3), min_size=1, max_size=6),
    related=st.none() | st.lists(_WORDS, max_size=5),
    repeats=st.integers(0, 3),
    gap=st.sampled_from(["\n", "\n\n"]),
    banner=st.sampled_from([(BANNER,), BANNER_LINES, ()]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_well_formed_pages_give_exactly_their_paragraphs_and_related_titles(
    headline: str,
    section: str,
    site: str,
    paragraphs: list[list[str]],
    related: list[str] | None,
    repeats: int,
    gap: str,
    banner: tuple[str, ...],
    newline: str,
) -> None:
    lines = [line for paragraph in paragraphs for line in paragraph]
    assume(all(_plain(line) for line in [*lines, *(related or [])]))
    assume(_key(paragraphs[0][0]) != _key(headline))
    if not banner:
        # Without a banner the page ends in the last paragraph or related title:
        # keep it from looking like the end of one.
        assume(not re.search(r"cookie|consent|gdpr", " ".join([*lines, *(related or [])]), re.I))
    text = page(
        headline=headline,
        section=section,
        site=site,
        paragraphs=["\n".join(paragraph) for paragraph in paragraphs],
        related=related,
        boilerplate=banner,
        repeats=repeats,
        related_gap=gap,
        newline=newline,
    )
    warnings: list[Problem] = []
    article = load(decode(text.encode("utf-8"))[0], warnings=warnings)
    assert article.title == one_line(headline)
    assert article.section == (one_line(section) or None)
    assert article.site == site
    expected = [" ".join(line.strip() for line in paragraph) for paragraph in paragraphs]
    assert paragraphs_of(article.body) == expected
    assert article.body == "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in expected)
    assert titles(article) == [one_line(title) for title in related or []]
    assert warnings == []
