from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from syndicate._store.store import StateStore
from syndicate.site.normalise import NormaliseResult, normalise
from syndicate.site.records import RawArticle
from tests.factories import NOW, frozen_first_seen, raw_article, site_settings


def run(records: list[RawArticle], first_seen: Any = None, **site: Any) -> NormaliseResult:
    return normalise(records, site_settings(**site), first_seen or frozen_first_seen())


def test_ids_come_from_the_record_else_from_the_file() -> None:
    result = run(
        [
            raw_article("A", id="explicit"),
            raw_article("B", url="https://news.example.com/b/", file="articles/world/b.md"),
            raw_article("C", file="articles/world/c-story.md"),
        ]
    )
    # A URL added later must not change the id, so the file names it.
    assert sorted(a.id for a in result.articles) == ["explicit", "world/b", "world/c-story"]


def test_duplicate_ids_are_an_error_naming_both_files_and_the_first_is_kept() -> None:
    result = run(
        [
            raw_article("First", id="same", file="articles/a.md", section="World"),
            raw_article("Second", id="same", file="articles/b.json", line=4, section="World"),
        ]
    )
    assert [a.title for a in result.articles] == ["First"]
    [error] = result.errors
    assert (error.file, error.field) == ("articles/b.json", "id")
    assert "articles/a.md" in error.message


def test_url_from_pattern_with_section_slug_and_date() -> None:
    published = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
    result = run(
        [raw_article("Harbour Reopens!", section="World News", published=published)],
        url_pattern="{base_url}{section}/{year}/{month}/{day}/{slug}/",
    )
    assert result.articles[0].url == (
        "https://news.example.com/world-news/2026/03/07/harbour-reopens/"
    )


def test_non_latin_titles_keep_readable_slugs_and_percent_encoded_urls() -> None:
    [article] = run([raw_article("Πλημμύρα στην Καστρόπολη")]).articles
    assert article.slug == "πλημμύρα-στην-καστρόπολη"
    assert article.url.isascii()
    assert "%CF%80" in article.url  # the Greek letter pi, encoded


def test_slug_clashes_are_settled_once_and_kept(tmp_path: Path) -> None:
    with StateStore(tmp_path / "state.db") as store:
        first = run(
            [raw_article("Same Title", id="old")], lambda p: store.identities.settle(p, NOW)
        )
        later = NOW + timedelta(days=1)
        both = run(
            [raw_article("Same Title", id="new"), raw_article("Same Title", id="old")],
            lambda p: store.identities.settle(p, later),
        )
        # The old story keeps its slug; retitled, it still keeps it (and its URL).
        retitled = run(
            [raw_article("A New Title", id="old"), raw_article("Same Title", id="new")],
            lambda p: store.identities.settle(p, later),
        )
        # Gone and replaced: its slug is not handed to another story.
        replaced = run(
            [raw_article("Same Title", id="third")], lambda p: store.identities.settle(p, later)
        )
    assert [a.slug for a in first.articles] == ["same-title"]
    assert {a.id: a.slug for a in both.articles} == {"old": "same-title", "new": "same-title-2"}
    assert {a.id: a.slug for a in retitled.articles} == {"old": "same-title", "new": "same-title-2"}
    assert [a.slug for a in replaced.articles] == ["same-title-3"]


def test_missing_dates_come_from_first_seen_and_naive_dates_from_the_site_zone() -> None:
    seen = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    result = run(
        [
            raw_article("Undated", id="u"),
            raw_article("Naive", id="n", published=datetime(2026, 6, 1, 12, 0)),
        ],
        first_seen=frozen_first_seen(seen),
        timezone="Europe/Lisbon",
    )
    by_id = {a.id: a for a in result.articles}
    assert by_id["u"].published == seen
    assert by_id["u"].updated == seen
    # Read in Lisbon (summer time, UTC+1), kept in UTC.
    assert by_id["n"].published == datetime(2026, 6, 1, 11, 0, tzinfo=UTC)


def test_updated_before_published_is_a_warning() -> None:
    result = run(
        [
            raw_article(
                "T",
                published=datetime(2026, 5, 2, tzinfo=UTC),
                updated=datetime(2026, 5, 1, tzinfo=UTC),
            )
        ]
    )
    assert result.articles[0].updated == result.articles[0].published
    assert [w.field for w in result.warnings] == ["updated"]


def test_sections_map_to_configured_names_and_order() -> None:
    result = run(
        [
            raw_article("A", section="business"),
            raw_article("B", section="INTL"),
            raw_article("C", section="Sport"),
            raw_article("D", file="articles/culture/d.md"),
        ],
        sections=["World", "Business", "Culture"],
        section_aliases={"intl": "World"},
    )
    assert {a.title: a.section for a in result.articles} == {
        "A": "Business",
        "B": "World",
        "C": "Sport",
        "D": "Culture",
    }
    assert result.sections == ["World", "Business", "Culture", "Sport"]
    assert [w.field for w in result.warnings] == ["section"]


def test_without_configured_sections_world_comes_first_then_a_to_z() -> None:
    result = run(
        [
            raw_article("A", section="Culture"),
            raw_article("B", section="world"),
            raw_article("C", section="Business"),
        ]
    )
    assert result.sections == ["world", "Business", "Culture"]


def test_record_without_section_outside_a_folder_is_an_error() -> None:
    result = run([raw_article("A", file="articles/loose.md"), raw_article("B", section="World")])
    assert [a.title for a in result.articles] == ["B"]
    assert [(e.file, e.field) for e in result.errors] == [("articles/loose.md", "section")]


def test_text_fields_are_plain_and_xml_safe() -> None:
    [article] = run(
        [
            raw_article(
                "Budget <b>&</b>\x00 Bonds\n",
                summary="Line\x0bone\n  two",
                authors=("A\x01", "A", ""),
                tags=("Tax", "tax", "Bonds"),
            )
        ]
    ).articles
    assert article.title == "Budget <b>&</b> Bonds"
    assert article.summary == "Lineone two"
    assert article.authors == ("A",)
    assert article.tags == ("Tax", "Bonds")


def test_bodies_are_sanitised_and_urls_made_absolute() -> None:
    body = '<p onclick="x()">Hi <a href="../other/">o</a><script>alert(1)</script></p>'
    [article] = run([raw_article("T", body=body, url="https://news.example.com/world/t/")]).articles
    assert "script" not in article.body
    assert "onclick" not in article.body
    assert 'href="https://news.example.com/world/other/"' in article.body


def test_summary_is_derived_from_the_first_paragraph_when_missing() -> None:
    long = "word " * 100
    [article] = run([raw_article("T", body=f"<p>Short &amp; sweet.</p><p>{long}</p>")]).articles
    assert article.summary == "Short & sweet."
    [article] = run([raw_article("T", body=f"<p>{long}</p>")]).articles
    assert len(article.summary) <= 280 and article.summary.endswith("…")


def test_images_are_absolute_and_always_have_alt_text() -> None:
    [article] = run([raw_article("Harbour", image_url="/img/h.jpg")]).articles
    assert article.image is not None
    assert article.image.url == "https://news.example.com/img/h.jpg"
    assert article.image.alt == "Harbour"
    [warning] = run([raw_article("Harbour", image_url="/img/h.jpg")]).warnings
    assert warning.field == "image"


def test_bad_urls_are_errors_for_that_record_only() -> None:
    result = run(
        [
            raw_article("A", url="javascript:alert(1)"),
            raw_article("B", image_url="data:image/png;base64,AAAA"),
            raw_article("C"),
        ]
    )
    assert [a.title for a in result.articles] == ["C"]
    assert sorted(e.field or "" for e in result.errors) == ["image", "url"]


def test_site_defaults_to_the_base_url_host() -> None:
    result = run([raw_article("A"), raw_article("B", site="other.example.org")])
    assert sorted(a.site for a in result.articles) == ["news.example.com", "other.example.org"]


def test_malformed_urls_are_record_errors_not_crashes() -> None:
    result = run(
        [
            raw_article("A", url="https://[::1/"),
            raw_article("B", url="https://n.example/\ud800x"),
            raw_article("C", image_url="https://img.example/\ud800.png"),
            raw_article("D", image_url="http:foo"),
            raw_article("E"),
        ]
    )
    # Surrogates are dropped like any XML-illegal character; what is left must be a URL.
    assert sorted(a.title for a in result.articles) == ["B", "C", "E"]
    assert sorted((e.field, e.file) for e in result.errors) == [
        ("image", "articles/world/d.md"),
        ("url", "articles/world/a.md"),
    ]
    for article in result.articles:
        article.url.encode("ascii")


def test_record_urls_outside_the_site_are_warned_about_and_site_must_be_a_host() -> None:
    result = run(
        [
            raw_article("A", url="https://elsewhere.example/a/"),
            raw_article("B", site="evil.example/login?x="),
        ],
        url_pattern="https://{site}/{section}/{slug}/",
    )
    urls = {a.title: a.url for a in result.articles}
    assert urls["B"] == "https://news.example.com/world/b/"
    assert sorted(w.field or "" for w in result.warnings) == ["site", "url"]


def test_character_references_cannot_smuggle_xml_illegal_characters() -> None:
    [article] = run([raw_article("T", body="<p>a&#1;b&#xFFFE;c&#x1F;d</p>")]).articles
    assert article.body == "<p>abcd</p>"


def test_dates_are_kept_in_utc_even_from_odd_historic_offsets() -> None:
    result = run(
        [
            raw_article("Paris 1905", published=datetime(1905, 11, 11, 11, 0)),
            raw_article("Too old", id="old", published=datetime(1, 1, 1)),
        ],
        timezone="Europe/Paris",
    )
    [article] = result.articles
    assert article.published.utcoffset() == timedelta(0)
    assert article.published == datetime(1905, 11, 11, 10, 50, 39, tzinfo=UTC)
    assert [(e.field, e.file) for e in result.errors] == [
        ("published", "articles/world/too-old.md")
    ]
