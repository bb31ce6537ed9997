from __future__ import annotations

from syndicate.site.normalise import normalise
from syndicate.site.records import RelatedLink, RelatedRef
from tests.factories import frozen_first_seen, raw_article, site_settings


def resolve(*records):  # type: ignore[no-untyped-def]
    result = normalise(list(records), site_settings(), frozen_first_seen())
    return {a.id: a.related for a in result.articles}, result.warnings


def test_resolution_by_id_url_exact_title_and_normalised_title() -> None:
    target = raw_article("Ferry Strike Ends | Talks Resume", id="world/ferry")
    source = raw_article(
        "Source",
        id="src",
        related=(
            RelatedRef("id", "world/ferry"),
            RelatedRef("url", "https://news.example.com/world/ferry-strike-ends-talks-resume"),
            RelatedRef("title", "Ferry Strike Ends | Talks Resume"),
            RelatedRef("title", "ferry strike ends: talks resume"),
        ),
    )
    related, warnings = resolve(target, source)
    link = RelatedLink(
        "Ferry Strike Ends | Talks Resume",
        "https://news.example.com/world/ferry-strike-ends-talks-resume/",
        "world/ferry",
    )
    assert related["src"] == (link,)  # four references to one article: listed once
    assert warnings == []


def test_unresolved_stays_plain_text_with_a_warning_and_keeps_its_place() -> None:
    source = raw_article(
        "Source",
        id="src",
        related=(
            RelatedRef("title", "Nowhere To Be Found"),
            RelatedRef("id", "b"),
            RelatedRef("id", "missing-id", label="A Label"),
        ),
    )
    related, warnings = resolve(source, raw_article("B", id="b"))
    assert [(r.title, r.url, r.id) for r in related["src"]] == [
        ("Nowhere To Be Found", None, None),
        ("B", "https://news.example.com/world/b/", "b"),
        ("A Label", None, None),
    ]
    assert [w.field for w in warnings] == ["related", "related"]
    assert "Nowhere To Be Found" in warnings[0].message


def test_ambiguous_titles_are_not_guessed() -> None:
    source = raw_article("Source", id="src", related=("Same Title",))
    related, warnings = resolve(
        source, raw_article("Same Title", id="one"), raw_article("Same Title", id="two")
    )
    assert related["src"] == (RelatedLink("Same Title", None, None),)
    assert "several" in warnings[0].message


def test_an_article_is_not_related_to_itself() -> None:
    related, _ = resolve(raw_article("Me", id="me", related=("Me",)))
    assert related["me"] == ()


def test_a_record_that_failed_does_not_become_a_link() -> None:
    broken = raw_article("Broken", id="broken", url="javascript:void(0)")
    related, warnings = resolve(broken, raw_article("Source", id="src", related=("Broken",)))
    assert related["src"] == (RelatedLink("Broken", None, None),)
    assert warnings


def test_an_exact_title_wins_before_loose_matches_are_counted() -> None:
    source = raw_article("Source", id="src", related=("Ferry Strike", "FERRY STRIKE"))
    related, warnings = resolve(
        source, raw_article("Ferry Strike", id="one"), raw_article("ferry strike!", id="two")
    )
    assert [link.id for link in related["src"]] == ["one", None]  # the loose one: ambiguous
    assert len(warnings) == 1 and "several" in warnings[0].message
