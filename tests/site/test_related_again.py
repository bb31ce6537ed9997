"""A republish keeps the related posts of unchanged articles, and finds again those
that an edit could change: always what resolving every article again gives."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.site import related as related_module
from syndicate.site.normalise import Drafts, NormaliseResult, normalise
from syndicate.site.records import Article, RawArticle, RelatedRef
from tests.factories import frozen_first_seen, raw_article, site_settings

TITLES = ["Ferry Strike", "ferry strike!", "Harbour Fire", "Budget Vote", "Tide Tables"]
IDS = ["a", "b", "c", "d", "e", "f"]
URLS = [
    "https://news.example.com/one",
    "https://news.example.com/one/",
    "http://news.example.com/two",
]
VALUES = {
    "id": [*IDS, "missing"],
    "url": [*URLS, "https://news.example.com/world/harbour-fire/", "https://elsewhere.example/"],
    "title": [*TITLES, "FERRY STRIKE", "harbour fire", "Nowhere"],
}

references = st.lists(
    st.sampled_from(sorted(VALUES)).flatmap(
        lambda kind: st.builds(RelatedRef, st.just(kind), st.sampled_from(VALUES[kind]))
    ),
    max_size=3,
).map(tuple)


@st.composite
def records(draw: st.DrawFn) -> RawArticle:
    return raw_article(
        draw(st.sampled_from(TITLES)),
        id=draw(st.sampled_from(IDS)),
        url=draw(st.none() | st.sampled_from(URLS)),
        related=draw(references),
        file=f"articles/world/{draw(st.sampled_from('pqrstu'))}.md",
    )


edits = st.one_of(
    st.tuples(st.just("title"), st.integers(0, 9), st.sampled_from(TITLES)),
    st.tuples(st.just("url"), st.integers(0, 9), st.none() | st.sampled_from(URLS)),
    st.tuples(st.just("related"), st.integers(0, 9), references),
    st.tuples(st.just("body"), st.integers(0, 9), st.just("<p>Edited.</p>")),
    st.tuples(st.just("remove"), st.integers(0, 9), st.none()),
    st.tuples(st.just("add"), st.integers(0, 9), records()),
    st.tuples(st.just("swap"), st.integers(0, 9), st.integers(0, 9)),
)


def edited(site: list[RawArticle], edit: tuple[str, int, object]) -> list[RawArticle]:
    kind, place, value = edit
    site = list(site)
    if not site:
        return [value] if isinstance(value, RawArticle) else site
    place %= len(site)
    if kind == "remove":
        del site[place]
    elif kind == "add":
        assert isinstance(value, RawArticle)
        site.insert(place, value)
    elif kind == "swap":
        assert isinstance(value, int)
        other = value % len(site)
        site[place], site[other] = site[other], site[place]
    else:
        site[place] = dataclasses.replace(site[place], **{kind: value})
    return site


class Runs:
    """normalise() run after run as a republish runs it: each record that is the last
    run's (the very object) has its origin, and the articles made are taken again."""

    def __init__(self) -> None:
        self.origins: dict[int, Hashable] = {}
        self.kept: list[RawArticle] = []  # the objects whose id() the origins name
        self.last: Drafts | None = None
        self.last_articles: dict[str, Article] = {}

    def run(self, site: Sequence[RawArticle]) -> NormaliseResult:
        origins = {
            id(raw): self.origins.get(id(raw), ("new", index, id(raw)))
            for index, raw in enumerate(site)
        }
        previous = self.last
        taken = {}
        made_before: list[Article] = []
        notes = {}
        if previous is not None:
            articles = self.last_articles
            taken = {
                key: (articles[key[1]], found[1])
                for key, found in previous.made.items()
                if key[1] in articles
            }
            made_before = [articles[article_id] for article_id in previous.made_order]
            notes = previous.related_notes
        drafts = Drafts(origins, taken, made_before, notes)
        result = normalise(list(site), site_settings(), frozen_first_seen(), drafts)
        self.origins, self.kept, self.last = origins, list(site), drafts
        self.last_articles = {article.id: article for article in result.articles}
        return result


@settings(max_examples=300, deadline=None)
@given(st.lists(records(), min_size=1, max_size=8), st.lists(edits, min_size=1, max_size=4))
def test_links_kept_or_found_again_are_those_of_a_whole_run(
    first: list[RawArticle], changes: list[tuple[str, int, object]]
) -> None:
    runs = Runs()
    runs.run(first)
    site = first
    for change in changes:
        site = edited(site, change)
        again = runs.run(site)
        whole = normalise(list(site), site_settings(), frozen_first_seen())
        assert [repr(a) for a in again.articles] == [repr(a) for a in whole.articles]
        assert (again.warnings, again.errors) == (whole.warnings, whole.errors)


def test_a_body_edit_finds_the_links_of_that_article_alone(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    site = [
        raw_article("Ferry Strike", id="a", related=("Harbour Fire", "Nowhere")),
        raw_article("Harbour Fire", id="b", related=(RelatedRef("id", "a"),)),
        raw_article("Budget Vote", id="c", related=("Ferry Strike",)),
    ]
    runs = Runs()
    first = runs.run(site)
    found: list[str] = []
    real = related_module._links

    def spy(article, raw, index, notes):  # type: ignore[no-untyped-def]
        found.append(article.id)
        return real(article, raw, index, notes)

    monkeypatch.setattr(related_module, "_links", spy)
    site = edited(site, ("body", 2, "<p>Edited.</p>"))
    again = runs.run(site)
    assert found == ["c"]
    assert again.warnings == first.warnings  # the kept "Nowhere" warning, in its place
    found.clear()
    # A retitled story: those that name it, or could now, are found again.
    runs.run(edited(site, ("title", 0, "Tide Tables")))
    assert sorted(found) == ["a", "b", "c"]
