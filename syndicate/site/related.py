"""Related posts: each reference resolved to a known article, or left as text.

Resolution goes by id, then URL, then exact title, then normalised title (case,
accents, punctuation and spacing ignored). A reference that matches nothing,
or matches several articles equally, is never guessed: it stays plain text
and the user gets a warning.

A republish resolves again only the articles whose record changed and those whose
references could now find another article (`EarlierLinks`): every other article keeps
its links and its warnings from the last run.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from syndicate._util.text import normalised_title, one_line
from syndicate.errors import Problem
from syndicate.site.records import Article, RawArticle, RelatedLink, RelatedRef, Source


class _Index:
    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = articles
        self.by_id = {a.id: a for a in articles}
        self.by_title: defaultdict[str, list[Article]] = defaultdict(list)
        for article in articles:
            self.by_title[article.title].append(article)

    @cached_property
    def by_url(self) -> dict[str, Article]:
        # Made only when a reference is by URL: a republish that finds nothing again
        # never is.
        found: dict[str, Article] = {}
        for article in self.articles:
            found.setdefault(_url_key(article.url), article)
        return found

    @cached_property
    def by_loose_title(self) -> dict[str, list[Article]]:
        # Made only if a reference's title matches no title exactly: keying every
        # title loosely is most of the cost of the index.
        found: defaultdict[str, list[Article]] = defaultdict(list)
        for article in self.articles:
            found[normalised_title(article.title)].append(article)
        return found

    def find(self, ref: RelatedRef) -> tuple[Article | None, str]:
        """The article `ref` names, or None and why not."""
        value = one_line(ref.value)
        if ref.kind == "id":
            found = self.by_id.get(value)
            return found, "" if found else f"no article has the id {value!r}"
        if ref.kind == "url":
            found = self.by_id.get(value) or self.by_url.get(_url_key(value))
            return found, "" if found else f"no article has the URL {value!r}"
        # The loose key only when the exact title matched nothing: most references
        # copy a title exactly, and the key costs more than the lookup.
        matches = self.by_title.get(value) or self.by_loose_title.get(normalised_title(value), [])
        if len(matches) == 1:
            return matches[0], ""
        if len(matches) > 1:
            files = ", ".join(str(a.source) for a in matches)
            return None, f"the title {value!r} matches several articles ({files}); give an id"
        return None, f"no article has the title {value!r}"


@dataclass(frozen=True)
class EarlierLinks:
    """The related posts of the last run, to be taken again.

    `made`: the last run's articles in the order they were made (the order decides
    between two articles with one URL, and lists several with one title); `notes`: the
    warnings each one's references gave, by id; `unchanged`: the ids of this run's
    articles that are the last run's, made from the same record (so with the same
    references, and with the links those found then)."""

    made: Sequence[Article]
    notes: Mapping[str, tuple[Problem, ...]]
    unchanged: Collection[str]


@dataclass
class Resolved:
    """The articles with their related links, and the warnings each one's references
    gave (by id: what the next run's `EarlierLinks.notes` is)."""

    articles: list[Article] = field(default_factory=list)
    notes: dict[str, tuple[Problem, ...]] = field(default_factory=dict)


def resolve_related(
    drafts: Sequence[tuple[Article, RawArticle]],
    warnings: list[Problem],
    earlier: EarlierLinks | None = None,
) -> Resolved:
    """The articles with their `related` links filled in; those that `earlier` has and
    nothing they were resolved from changed are taken as they are."""
    index = _Index([article for article, _ in drafts])
    keys = _changed_keys(earlier.made, index.articles) if earlier is not None else None
    resolved = Resolved()
    for article, raw in drafts:
        if (
            keys is not None
            and earlier is not None
            and _keeps_links(article, raw, earlier, keys, index)
        ):
            _keep(resolved, article, earlier.notes.get(article.id, ()), warnings)
            continue
        notes_now: list[Problem] = []
        links = _links(article, raw, index, notes_now)
        # An article taken from the last run mostly has these links already.
        same = links == article.related
        _keep(
            resolved,
            article if same else dataclasses.replace(article, related=links),
            tuple(notes_now),
            warnings,
        )
    return resolved


def _keeps_links(
    article: Article, raw: RawArticle, earlier: EarlierLinks, keys: _ChangedKeys, index: _Index
) -> bool:
    """Whether the article has the links the last run found for it, and finds them
    again: it is that run's, and no reference of its looks up a key that changed."""
    if article.id not in earlier.unchanged:
        return False
    return not any(keys.touch(ref, index) for ref in raw.related)


def _keep(
    resolved: Resolved, article: Article, notes: tuple[Problem, ...], warnings: list[Problem]
) -> None:
    resolved.articles.append(article)
    if notes:
        resolved.notes[article.id] = notes
        warnings.extend(notes)


def _links(
    article: Article, raw: RawArticle, index: _Index, notes: list[Problem]
) -> tuple[RelatedLink, ...]:
    links: list[RelatedLink] = []
    linked: set[str] = set()
    for ref in raw.related:
        target, reason = index.find(ref)
        if target is None:
            notes.append(
                Problem(
                    f"related post not found, kept as text (and left out of digests): {reason}",
                    file=raw.source.file,
                    line=ref.line or raw.line_of("related"),
                    field="related",
                )
            )
            label = one_line(ref.label or ref.value)
            links.append(RelatedLink(title=label, url=None, id=None))
            continue
        if target.id == article.id or target.id in linked:
            continue  # a story is not related to itself, nor listed twice
        linked.add(target.id)
        links.append(RelatedLink(title=target.title, url=target.url, id=target.id))
    return tuple(links)


@dataclass(frozen=True)
class _ChangedKeys:
    """The lookup keys of the articles that are new, gone or changed since the last run:
    a reference that looks none of them up finds what it found then."""

    ids: set[str]
    urls: set[str]
    titles: set[str]
    loose_titles: set[str]

    def touch(self, ref: RelatedRef, index: _Index) -> bool:
        if not self.ids:
            return False  # nothing anyone finds changed (a story's body edited, say)
        value = one_line(ref.value)
        if ref.kind == "id":
            return value in self.ids
        if ref.kind == "url":
            return value in self.ids or _url_key(value) in self.urls
        if value in self.titles:
            return True
        # The loose key is looked up only where no title matches exactly.
        return value not in index.by_title and normalised_title(value) in self.loose_titles


def _entry(article: Article) -> tuple[str, str, str, Source]:
    """All of an article that finding it, and linking to it, reads."""
    return (article.id, article.url, article.title, article.source)


def _changed_keys(before: Sequence[Article], now: Sequence[Article]) -> _ChangedKeys | None:
    """The keys that changed from `before` to `now`; None when the articles that did not
    change are not in the order they were (where two match one key, the first wins)."""
    old = {article.id: article for article in before}
    changed = {
        article.id
        for article in now
        # Most are the very objects of the last run (taken again): no fields compared.
        if (earlier := old.get(article.id)) is not article
        and (earlier is None or _entry(earlier) != _entry(article))
    }
    changed.update(old.keys() - {article.id for article in now})
    kept_before = [article.id for article in before if article.id not in changed]
    kept_now = [article.id for article in now if article.id not in changed]
    if kept_before != kept_now:
        return None
    new = {article.id: article for article in now if article.id in changed}
    entries = [table[key] for key in changed for table in (old, new) if key in table]
    titles = {article.title for article in entries}
    return _ChangedKeys(
        ids={article.id for article in entries},
        urls={_url_key(article.url) for article in entries},
        titles=titles,
        loose_titles={normalised_title(title) for title in titles},
    )


def _url_key(url: str) -> str:
    return url.strip().rstrip("/").removeprefix("https://").removeprefix("http://")
