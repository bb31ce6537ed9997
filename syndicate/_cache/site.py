"""The site cache, `.syndicate/cache/site.pickle`: a normalised site for the next run.

Its value is the site's head (sections, problems, articles per section): all that a
publish with nothing changed reads. After it come the order of the articles, the
articles with their digests in SHARDS parts by id, and the drafts: the key each
article was made under, so that a run which finds a record as it was takes its
article instead of making it again. A run that changed a few articles pickles the
parts that hold them and copies the others' bytes from the file it read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from syndicate._cache.files import (
    SHARDS,
    StoredCache,
    open_cache,
    read_shards,
    shard_parts,
    write_cache,
)
from syndicate._store.store import StateStore
from syndicate.errors import Problem
from syndicate.feeds.model import article_fingerprint
from syndicate.site.normalise import DraftKey
from syndicate.site.records import Article

SITE_CACHE = "site.pickle"
_ORDER, _FIRST_SHARD, _DRAFTS = 0, 1, 1 + SHARDS

# Articles by id, each with its digest: what feed documents are keyed by.
Digested = dict[str, tuple[Article, bytes]]
Made = Mapping[DraftKey, tuple[Article, tuple[Problem, ...]]]


@dataclass(frozen=True)
class SiteBody:
    """A loaded site's articles, and their digests by id where known."""

    articles: tuple[Article, ...]
    fingerprints: Mapping[str, bytes]


@dataclass(frozen=True)
class SiteHead:
    """What a site is, short of its articles: all that a publish with nothing changed
    needs."""

    sections: tuple[str, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    section_counts: Mapping[str, int]


@dataclass(frozen=True)
class _DraftList:
    """Each article's draft key and the warnings its making gave (its id is the key's)."""

    basis: str  # the code and settings, which are not in a draft's key
    entries: tuple[tuple[DraftKey, tuple[Problem, ...]], ...]


def stored_body(cached: StoredCache) -> SiteBody:
    """The articles of a snapshot, in order; an exception if the file is damaged."""
    order = cached.part(_ORDER)
    rows = read_shards(cached, _FIRST_SHARD)
    if not isinstance(order, tuple) or len(order) != len(rows):
        raise TypeError("not the order of these articles")
    articles = tuple(rows[article_id][0] for article_id in order)  # type: ignore[index]
    prints = {article_id: rows[article_id][1] for article_id in order}  # type: ignore[index]
    if not all(isinstance(article, Article) for article in articles):
        raise TypeError("not an article")
    return SiteBody(articles, prints)


@dataclass(frozen=True)
class Previous:
    """The last snapshot, whatever its key: its articles to compare with and take
    again, its drafts where made with the same code and settings, and its file."""

    articles: Digested = field(default_factory=dict)
    drafts: dict[DraftKey, tuple[Article, tuple[Problem, ...]]] = field(default_factory=dict)
    file: StoredCache | None = None


def read_previous(path: Path, basis: str) -> Previous:
    cached = open_cache(path)
    if cached is None:
        return Previous()
    try:
        body = stored_body(cached)
        drafts = cached.part(_DRAFTS)
        if not isinstance(drafts, _DraftList):
            return Previous()
        prints = body.fingerprints
        articles = {a.id: (a, prints[a.id]) for a in body.articles}
        if drafts.basis != basis:
            return Previous(articles, {}, cached)
        taken = {key: (articles[key[1]][0], notes) for key, notes in drafts.entries}
    except Exception:  # a damaged cache is only one that gives nothing
        return Previous()
    return Previous(articles, taken, cached)


def write_snapshot(
    path: Path,
    key: str,
    head: SiteHead,
    body: SiteBody,
    made: Made,
    basis: str,
    previous: Previous,
) -> None:
    rows = {a.id: (a, body.fingerprints[a.id]) for a in body.articles}
    entries = tuple((key, notes) for key, (_, notes) in made.items() if key[1] in rows)
    shards = shard_parts(rows, previous.articles, previous.file, _FIRST_SHARD)
    write_cache(path, key, head, tuple(rows), *shards, _DraftList(basis, entries))


def fingerprints(articles: Sequence[Article], previous: Digested) -> dict[str, bytes]:
    """Each article's digest by id; that of `previous` where the article is the one it
    was made for (most are the very same object; comparing costs a hundredth of a
    digest)."""
    found = {}
    for article in articles:
        before = previous.get(article.id)
        if before is not None and (
            before[0] is article
            or (before[0] == article and before[0].first_seen == article.first_seen)
        ):
            found[article.id] = before[1]
        else:
            found[article.id] = article_fingerprint(article)
    return found


def identity_stamp(store: StateStore) -> tuple[object, ...]:
    """What normalising read from the state store: each id's first sight and slug."""
    row = store.db.execute(
        "SELECT count(*), min(first_seen), max(first_seen), total(length(slug)),"
        " count(slug) FROM article_identity"
    ).fetchone()
    return tuple(row)
