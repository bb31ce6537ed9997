"""The site cache: a normalised site for the next run (CacheFiles.site).

Its value is the site's head (sections, problems, articles per section): all that a
publish with nothing changed reads. After it come the order of the articles, the
articles with their fingerprints in SHARDS parts by id, and the drafts: the key each
article was made under, so that a run which finds a record as it was takes its
article instead of making it again. A run that changed a few articles pickles the
parts that hold them and copies the others' bytes from the file it read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path

from syndicate._cache.files import (
    SHARDS,
    StoredCache,
    open_cache,
    read_shards,
    shard_parts,
    write_cache,
)
from syndicate._cache.records import RecordCache
from syndicate._store.store import StateStore
from syndicate._util.keys import code_stamp, key_of
from syndicate._util.workers import Workers
from syndicate.config import LoadedConfig
from syndicate.errors import Problem
from syndicate.site.load import (
    MadeSite,
    OnFile,
    RecordLocation,
    SiteBody,
    SiteHead,
    load_records,
    made_site,
)
from syndicate.site.loaders import find_record_files
from syndicate.site.normalise import DraftKey, Drafts, normalise
from syndicate.site.records import Article, article_fingerprint

_ORDER, _FIRST_SHARD, _DRAFTS = 0, 1, 1 + SHARDS

# Articles by id, each with its fingerprint: what feed documents are keyed by.
Fingerprinted = dict[str, tuple[Article, bytes]]


@dataclass(frozen=True)
class _DraftList:
    """Each article's draft key and the warnings its making gave (its id is the key's);
    the ids in the order the articles were made, and the warnings their related posts
    gave (site/related.py's EarlierLinks)."""

    basis: str  # the code and settings, which are not in a draft's key
    entries: tuple[tuple[DraftKey, tuple[Problem, ...]], ...]
    made: tuple[str, ...]
    related_notes: dict[str, tuple[Problem, ...]]


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

    articles: Fingerprinted = field(default_factory=dict)
    drafts: dict[DraftKey, tuple[Article, tuple[Problem, ...]]] = field(default_factory=dict)
    file: StoredCache | None = None
    made: tuple[Article, ...] = ()  # with the drafts: the articles in the order made
    related_notes: dict[str, tuple[Problem, ...]] = field(default_factory=dict)


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
        made = tuple(articles[article_id][0] for article_id in drafts.made)
    except Exception:  # a damaged cache is only one that gives nothing
        return Previous()
    return Previous(articles, taken, cached, made, drafts.related_notes)


def write_snapshot(
    path: Path,
    key: str,
    head: SiteHead,
    body: SiteBody,
    drafts: Drafts,
    basis: str,
    previous: Previous,
) -> None:
    rows = {a.id: (a, body.fingerprints[a.id]) for a in body.articles}
    entries = tuple((key, notes) for key, (_, notes) in drafts.made.items() if key[1] in rows)
    listed = _DraftList(basis, entries, tuple(drafts.made_order), drafts.related_notes)
    shards = shard_parts(rows, previous.articles, previous.file, _FIRST_SHARD)
    write_cache(path, key, head, tuple(rows), *shards, listed)


def fingerprints(articles: Sequence[Article], previous: Fingerprinted) -> dict[str, bytes]:
    """Each article's fingerprint by id; that of `previous` where the article is the one
    it was made for (most are the very same object; comparing costs a hundredth of
    hashing)."""
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


def reuse_site(
    location: RecordLocation,
    config: LoadedConfig,
    store: StateStore,
    moment: datetime,
    on_file: OnFile | None,
    workers: Workers,
) -> MadeSite:
    """The site's articles: the last run's site taken whole when nothing it was made
    from changed (a MakeSite of site/load.py); else the records of unchanged files
    from the record cache, and the articles of unchanged records taken again."""
    found = find_record_files(location.articles_dir, location.site_root)
    stamps = list(zip(found.names, found.stamps, strict=True))
    # A file changed just now proves nothing by its stamp: no site cache this run.
    stamped = all(stamp is not None for _, stamp in stamps)
    # Not [build]: how many processes make the site changes none of its bytes.
    settings = config.settings.model_dump_json(exclude={"build"})
    inputs = (code_stamp(), settings, stamps, found.errors, found.warnings)
    caches = config.paths.caches
    path = caches.site
    if stamped:
        key = key_of(*inputs, store.identities.stamp())
        cached = open_cache(path, key)
        if cached is not None and isinstance(cached.value, SiteHead):
            if on_file is not None:
                for record_file in found.files:
                    on_file(record_file)
            again = _loaded_again(location, config, moment)
            return MadeSite(cached.value, _stored_body(cached, again), key)
    imports = config.settings.import_.model_dump_json()
    records = RecordCache(caches.records, imports)
    loaded = load_records(location, config, on_file, records, found, workers)
    basis = key_of(code_stamp(), settings)
    previous = read_previous(path, basis)
    drafts = Drafts(loaded.origins, previous.drafts, previous.made, previous.related_notes)
    identities = partial(store.identities.settle, now=moment)
    result = normalise(loaded.records, config.settings.site, identities, drafts)
    made = made_site(loaded, result, fingerprints(result.articles, previous.articles))
    if not stamped and not drafts.made:
        return made
    # Keyed by the identities as this run left them: the next run finds them so. A run
    # with a file changed just now is no site to take whole, but its drafts still are.
    key = key_of(*inputs, store.identities.stamp()) if stamped else "(none)"
    write_snapshot(path, key, made.head, made.body(), drafts, basis, previous)
    return replace(made, key=key if stamped else None)


def _stored_body(cached: StoredCache, again: Callable[[], SiteBody]) -> Callable[[], SiteBody]:
    def body() -> SiteBody:
        try:
            return stored_body(cached)
        except Exception:  # its head was whole and of this code: damaged, or replaced
            # Dropped, so that the next run makes the site cache again, not this again.
            with contextlib.suppress(OSError):
                cached.path.unlink()
            return again()

    return body


def _loaded_again(
    location: RecordLocation, config: LoadedConfig, moment: datetime
) -> Callable[[], SiteBody]:
    """The articles loaded and normalised again, from nothing cached (their identities
    are in the state store, as the cached ones were made with)."""

    def body() -> SiteBody:
        loaded = load_records(location, config, None)
        with StateStore(config.store) as store:
            identities = partial(store.identities.settle, now=moment)
            result = normalise(loaded.records, config.settings.site, identities)
        return SiteBody(tuple(result.articles), {})

    return body
