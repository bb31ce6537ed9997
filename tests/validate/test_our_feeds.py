"""Our own feeds pass our own validator: whatever the records hold, a build gives
feed documents with no validation errors, and warnings only where the input earns one.

Records go through `normalise` (as `syndicate publish` does), so the text reaching the
feed builders is what normalisation lets through: control characters, lone surrogates
and the like are in the records, not in the feeds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicate.api import feed_site, load_site
from syndicate.site.normalise import normalise
from syndicate.site.records import Article, RawArticle, RelatedRef
from syndicate.validate import FileReport, validate_feed
from syndicate.validate.values import has_markup, implausible
from tests.factories import (
    NOW,
    copy_example_site,
    frozen_first_seen,
    markdown_record,
    raw_article,
    site_settings,
    write_site,
)
from tests.feeds.checks import build

FEED_NAMES = ("rss.xml", "atom.xml", "feed.json")
NOT_FEEDS = ("links.html", "feeds.opml", "feed.xsl", "index.html")

# The warnings a feed of ours may carry, and when (checked in `unearned_warnings`):
# - implausible-date: the records' own dates, which may be anything from 1900 to
#   9998; a story dated 1912 or 2300 is the publisher's to fix, not a build error.
# - html-in-title: titles are plain text and we write them as such (escaped), so a
#   title whose words look like markup ("Budget <b>&</b> Bonds") reaches readers as
#   those characters; the validator cannot tell that from markup that went wrong.
# - guid-looks-like-permalink: a record whose own id is a web URL other than its page
#   keeps that id as its RSS guid, rightly isPermaLink="false".
# Nothing else: missing-self-link in particular never, since every document of ours
# links to itself (RSS and Atom rel="self", JSON Feed feed_url).
ALLOWED_WARNINGS = frozenset({"implausible-date", "html-in-title", "guid-looks-like-permalink"})


def is_feed_document(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in FEED_NAMES or path.startswith("archive/")


def feed_documents(files: dict[str, bytes]) -> dict[str, bytes]:
    """The feed documents of a build; every other file must be one we know is not a feed."""
    others = [path for path in files if not is_feed_document(path)]
    assert all(path.rsplit("/", 1)[-1] in NOT_FEEDS for path in others), others
    return {path: content for path, content in files.items() if is_feed_document(path)}


def shown(reports: list[FileReport]) -> str:
    return "\n".join(
        f"{r.path}:{f.line}:{f.column}: {f.severity.value} {f.code}: {f.message}"
        for r in reports
        for f in r.findings
    )


# --- strategies -----------------------------------------------------------------------

FRAGMENTS = [
    # markup and what XML and JSON must escape
    "<b>bold</b>", "<i>", "</p>", "<script>alert(1)</script>", "<a href='/x'>a</a>",
    "<br/>", "]]>", "<![CDATA[", "<!-- c -->", "&", "&amp;", "&lt;b&gt;", "&#1;",
    "&#x1F6A2;", "&bogus;", '"', "'", "\\", "{{ title }}", "{% if %}", "%s", "%",
    # astral, joined, right-to-left and invisible characters
    "🚢", "👩‍👩‍👧", "\U0001d518\U0001d52b\U0001d526", "𠜎", "عنوان", "עברית",
    "\u202b", "\u202c", "\u202e", "\u200f",
    "\u200b", "\u2028", "\u2029", "\u00a0", "\ufeff", "e\u0301", "ﷺ",
    # what XML 1.0 cannot carry, and C1 controls: normalisation must take them out
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f",
    "\ud800", "\udfff", "\ufffe", "\uffff", "\t", "\n", "\r\n", "\r",
]  # fmt: skip
_chars = st.characters(codec=None, exclude_categories=())
text = st.lists(
    st.one_of(st.text(_chars, max_size=12), st.sampled_from(FRAGMENTS)), max_size=6
).map("".join)
# A title always keeps something once normalised: otherwise the record is an error
# (tested elsewhere) and never reaches a feed.
title = st.builds(lambda a, b, c: a + b + c, text, st.sampled_from(["T", "Ω", "日", "7"]), text)

BODY_PIECES = [
    "<p>", "</p>", "<p>Para</p>", "<a href='/rel/path'>rel</a>", "<a href='page'>p</a>",
    "<a href='javascript:alert(1)'>js</a>", "<a href='mailto:x@example.com'>m</a>",
    "<img src='/i.png'>", "<img src=x onerror=alert(1)>", "<iframe src=//e.example>",
    "<style>p{}</style>", "<table><tr><td>c</td></tr></table>", "<ul><li>i</li></ul>",
    "<h2>Head</h2>", "<blockquote>q</blockquote>", "<pre>  x  </pre>", "<p", "<<>>",
]  # fmt: skip
body = st.lists(st.one_of(text, st.sampled_from(BODY_PIECES)), max_size=8).map("".join)

# Dates anywhere normalisation takes (UTC years 1900 to 9998; outside, the record is
# an error), with or without an offset (none: read in the site's zone).
offsets = st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23))
zones: st.SearchStrategy[tzinfo | None] = st.one_of(st.none(), st.just(UTC), offsets.map(timezone))
dates = st.one_of(
    st.none(),
    st.datetimes(datetime(1900, 1, 2), datetime(9998, 12, 30), timezones=zones),
    # near now, where most stories are: dated, not implausible
    st.datetimes(datetime(2025, 1, 1), datetime(2027, 6, 1), timezones=zones),
)

# URLs as records give them, relative ones resolved against the story or the site.
URLS = [
    "/world/a-story/", "relative/page", "../up/", "?q=1", "#frag",
    "https://news.example.com/x?y=1&z=2#f", "http://other.example/path", "https://other.example",
    "https://news.example.com/καστρόπολη/", "https://news.example.com/a b", "//cdn.example/x",
    "https://[2001:db8::1]:8443/v6", "https://news.example.com/%C3%A9t%C3%A9/",
    "HTTPS://NEWS.EXAMPLE.COM/UPPER", "https://user:pw@news.example.com/x",
    "https://news.example.com/sale-50%-off/", "http:foo",
]  # fmt: skip
IMAGES = [
    "/i/pic.jpg", "pic.png", "http://img.example/a.gif", "https://img.example/a b.webp?x=1&y=2",
    "//cdn.example/i", "https://img.example/ü.png", "https://img.example/noext",
    "https://img.example/x.SVG", "https://img.example/x.tar.gz",
]  # fmt: skip
IDS = [
    "urn:isbn:0451450523", "tag:news.example.com,2020:a", "https://other.example/a",
    "https://news.example.com/world/a-story/", "mailto:desk@news.example.com", "x:y z",
    "world/plain id", "καστρόπολη", "a#b?c", "../x", "", "http:foo", "urn:x:100%",
]  # fmt: skip
SECTIONS = [None, "World", "business", "Archive", "Site", "!!!", "Ελληνικά", "Arts & Culture"]
URL_PATTERNS = [
    "{base_url}{section}/{slug}/",
    "{base_url}{year}/{month}/{day}/{slug}.html",
    "{base_url}stories/{id}",
    "https://{site}/{section}/{slug}/",
]
SITES = [None, None, "other.example", "News.Example.COM", "not a host!", "ex_ample.com"]
BASE_URLS = [
    "https://news.example.com/",
    "http://localhost:8000/news/",
    "https://bücher.example/neue seiten/",
]


@st.composite
def records(draw: st.DrawFn) -> tuple[list[RawArticle], dict[str, str]]:
    """1-8 records, and the site's settings: title, base URL and URL pattern."""
    count = draw(st.integers(1, 8))
    titles = [draw(title) for _ in range(count)]
    raws = []
    for number, headline in enumerate(titles):
        folder = draw(st.sampled_from(["world", "business", "culture"]))
        image_url = draw(st.one_of(st.none(), st.sampled_from(IMAGES)))
        related = draw(
            st.lists(
                st.one_of(
                    st.sampled_from(titles).map(lambda t: RelatedRef("title", t)),
                    text.map(lambda t: RelatedRef("title", t)),
                    st.sampled_from(URLS).map(lambda u: RelatedRef("url", u)),
                    st.integers(0, 7).map(lambda n: RelatedRef("id", f"world/s{n}")),
                ),
                max_size=3,
            )
        )
        fields: dict[str, Any] = {
            "file": f"articles/{folder}/s{number}.md",
            "id": draw(st.one_of(st.none(), st.sampled_from(IDS))),
            "url": draw(st.one_of(st.none(), st.none(), st.sampled_from(URLS))),
            "section": draw(st.one_of(st.sampled_from(SECTIONS), text)),
            "published": draw(dates),
            "updated": draw(dates),
            "authors": tuple(draw(st.lists(text, max_size=3))),
            "summary": draw(st.one_of(st.none(), text)),
            "body": draw(body),
            "image_url": image_url,
            "image_alt": draw(st.one_of(st.none(), text)),
            "tags": tuple(draw(st.lists(text, max_size=4))),
            "related": related,
            "site": draw(st.sampled_from(SITES)),
        }
        raws.append(raw_article(headline, **fields))
    site = {
        "title": draw(title),
        "base_url": draw(st.sampled_from(BASE_URLS)),
        "url_pattern": draw(st.sampled_from(URL_PATTERNS)),
    }
    return raws, site


def unearned_warnings(
    reports: list[FileReport], articles: list[Article], site_title: str, sections: list[str]
) -> list[str]:
    """Warnings outside ALLOWED_WARNINGS, or allowed ones the input gives no cause for."""
    dated = [moment for a in articles for moment in (a.published, a.updated)]
    odd_dates = any(implausible(moment, NOW) for moment in dated)
    titles = [a.title for a in articles] + [site_title] + [f"{site_title}: {s}" for s in sections]
    markup = any(has_markup(t) for t in titles)
    url_ids = any(a.id.lower().startswith(("http://", "https://")) for a in articles)
    earned = {
        "implausible-date": odd_dates,
        "html-in-title": markup,
        "guid-looks-like-permalink": url_ids,
    }
    assert earned.keys() == ALLOWED_WARNINGS
    return [
        f"{r.path}:{f.line}: {f.code}: {f.message}"
        for r in reports
        for f in r.warnings
        if f.code not in ALLOWED_WARNINGS or not earned[f.code]
    ]


# --- properties -----------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records(),
    st.integers(1, 3),
    st.sampled_from(["en", "pt-BR", "ar", "zh-Hant-TW"]),
    st.sampled_from([(), ("https://hub.example/",), ("https://a.example/h", "http://b.example/")]),
)
def test_every_feed_we_build_validates_without_errors(
    drawn: tuple[list[RawArticle], dict[str, str]],
    entries: int,
    language: str,
    hubs: tuple[str, ...],
) -> None:
    raws, site = drawn
    settings_ = site_settings(**site, language=language)
    result = normalise(raws, settings_, frozen_first_seen())
    if not result.articles:
        return  # every record was an error: nothing to build
    files = build(
        result.articles,
        result.sections,
        title=settings_.title,
        base_url=settings_.base_url,
        language=language,
        hubs=hubs,
        entries=entries,
    )
    documents = feed_documents(files)
    assert {"rss.xml", "atom.xml", "feed.json"} <= set(documents)
    if len(result.articles) > entries:
        assert any(path.startswith("archive/") for path in documents)
    reports = [validate_feed(content, path, now=NOW) for path, content in documents.items()]
    errors = [r for r in reports if r.errors]
    assert errors == [], shown(errors)
    assert settings_.title is not None
    unearned = unearned_warnings(reports, result.articles, settings_.title, result.sections)
    assert unearned == [], "\n".join(unearned)


def test_the_allowed_warnings_are_earned_and_others_fail() -> None:
    """The property above can fail: a warning without a cause in the input is flagged."""
    raws = [raw_article("Plain", published=NOW - timedelta(days=1))]
    result = normalise(raws, site_settings(), frozen_first_seen())
    reports = [
        validate_feed(content, path, now=NOW)
        for path, content in feed_documents(build(result.articles, result.sections)).items()
    ]
    assert [f for r in reports for f in r.findings] == []
    marked = normalise(
        [raw_article("Budget <b>&</b> Bonds", published=datetime(1912, 4, 15, tzinfo=UTC))],
        site_settings(),
        frozen_first_seen(),
    )
    files = feed_documents(build(marked.articles, marked.sections))
    reports = [validate_feed(content, path, now=NOW) for path, content in files.items()]
    assert all(r.errors == [] for r in reports), shown(reports)
    codes = {f.code for r in reports for f in r.warnings}
    assert codes == {"implausible-date", "html-in-title"}
    assert unearned_warnings(reports, marked.articles, "Harbour Courier", marked.sections) == []
    # The same findings against a plain, recent story are unearned.
    unearned = unearned_warnings(reports, result.articles, "Harbour Courier", result.sections)
    assert unearned and all(("implausible-date" in u or "html-in-title" in u) for u in unearned)


# --- the example site -----------------------------------------------------------------


def test_the_example_site_builds_feeds_with_no_findings(tmp_path: Path) -> None:
    site = load_site(copy_example_site(tmp_path), {}, now=NOW)
    assert site.errors == ()
    config = site.config
    files = build(
        list(site.articles),
        list(site.sections),
        title=config.title,
        base_url=config.settings.site.base_url,
        entries=feed_site(config).entries,
    )
    documents = feed_documents(files)
    assert len(documents) >= 12  # site and three sections, three formats each
    reports = [validate_feed(content, path) for path, content in documents.items()]
    assert [r for r in reports if r.findings] == [], shown(reports)
    # And again with small pages, so that archive pages are checked too.
    paged = feed_documents(
        build(
            list(site.articles),
            list(site.sections),
            title=config.title,
            base_url=config.settings.site.base_url,
            entries=3,
        )
    )
    assert any(path.startswith("archive/") for path in paged)
    reports = [validate_feed(content, path) for path, content in paged.items()]
    assert [r for r in reports if r.findings] == [], shown(reports)


# --- what the property leaves out: product bugs --------------------------------------


def _findings_of(raws: list[RawArticle]) -> list[str]:
    result = normalise(raws, site_settings(), frozen_first_seen())
    assert result.errors == [] and result.articles
    files = feed_documents(build(result.articles, result.sections))
    reports = [validate_feed(content, path, now=NOW) for path, content in files.items()]
    return [f"{r.path}: {f.code}: {f.message}" for r in reports for f in r.errors]


@pytest.mark.parametrize(
    "fields",
    [
        {"url": "https://news.example.com/sale-50%-off/"},
        {"image_url": "https://img.example/50%.jpg", "image_alt": "Half"},
        {"id": "urn:x:100%"},
    ],
)
def test_a_stray_percent_sign_in_a_record_gives_valid_feeds(fields: dict[str, str]) -> None:
    assert _findings_of([raw_article("Half Price", **fields)]) == []


def test_an_http_id_without_a_host_gives_valid_feeds() -> None:
    assert _findings_of([raw_article("Odd Id", id="http:foo")]) == []


def test_records_read_from_files_build_valid_feeds(tmp_path: Path) -> None:
    """The same through the loaders: JSON and Markdown records with hostile fields."""
    hostile = {
        "title": "Budget \x01<b>&</b>\x7f Bonds \ud83d\udea2 \u202bRTL\u202c \ud800",
        "authors": ["Zo\u00eb O'Brien <zoe@example.com>", "\u202eevil", "\x00"],
        "tags": ["<i>x</i>", "\u00fcn\u00ef", "\x1b[31m"],
        "summary": "]]> & <script> \x85",
        "published": "1905-01-01T00:00:00Z",
        "image": {"url": "/pic.jpg", "alt": "\x0c"},
        "body": "<p>Body & <a href='/rel'>link</a>&#1;</p>\n\n<script>x</script>",
    }
    root = write_site(
        tmp_path,
        {
            "world/a.json": json.dumps(hostile),
            "business/b.md": markdown_record(
                {"title": "Future <em>now</em>", "published": "2400-02-29T10:00:00+05:30"}
            ),
        },
        config='[site]\nbase_url = "https://news.example.com/"\n',
    )
    site = load_site(root, {}, now=NOW)
    assert site.errors == () and len(site.articles) == 2
    files = build(list(site.articles), list(site.sections), entries=1)
    reports = [validate_feed(c, p, now=NOW) for p, c in feed_documents(files).items()]
    assert [r for r in reports if r.errors] == [], shown(reports)
    articles, sections = list(site.articles), list(site.sections)
    unearned = unearned_warnings(reports, articles, "Harbour Courier", sections)
    assert unearned == [], "\n".join(unearned)
    codes = {f.code for r in reports for f in r.warnings}
    assert codes == {"implausible-date", "html-in-title"}
