"""Load a site: its config, its records found and loaded, normalised against its state.

With `reuse` (build and publish), the normalised site of the last run is taken
again when nothing it was made from changed: the same record files with the same
stamps, the same settings and code, and the same recorded identities. Otherwise
each file whose stamp is unchanged gives its records from the record cache, and
only normalising runs over them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from pathlib import Path

from syndicate.caches import (
    StoredCache,
    cache_folder,
    code_stamp,
    key_of,
    open_cache,
    write_cache,
)
from syndicate.config import LoadedConfig, load_config
from syndicate.errors import Problem, SiteError
from syndicate.feeds.model import article_fingerprint
from syndicate.identity import in_memory
from syndicate.loaders import (
    RECORD_SUFFIXES,
    LoadResult,
    RecordCache,
    RecordFiles,
    ScrapeRules,
    find_record_files,
    load_articles,
)
from syndicate.normalise import DraftKey, Drafts, NormaliseResult, normalise
from syndicate.records import Article
from syndicate.state import StateStore

SITE_CACHE = "site.pickle"
RECORD_CACHE = "records.pickle"


@dataclass(frozen=True)
class SiteBody:
    """A loaded site's articles, and their digests by id where known: what feed
    documents are keyed by."""

    articles: tuple[Article, ...]
    fingerprints: Mapping[str, bytes]


@dataclass(frozen=True)
class LoadedSite:
    config: LoadedConfig
    sections: tuple[str, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    moment: datetime  # when this load happened: new stories' first sight
    section_counts: Mapping[str, int]  # articles by section name
    # The key of everything this site was made from, when it is in the site cache.
    cache_key: str | None
    # Its articles: a site taken whole from the cache unpickles them only if asked,
    # and a publish with nothing changed never asks.
    body: Callable[[], SiteBody] = field(repr=False, compare=False)

    @cached_property
    def _body(self) -> SiteBody:
        return self.body()

    @property
    def articles(self) -> tuple[Article, ...]:
        return self._body.articles

    @property
    def fingerprints(self) -> Mapping[str, bytes]:
        return self._body.fingerprints

    @property
    def article_count(self) -> int:
        return sum(self.section_counts.values())


@dataclass(frozen=True)
class RecordLocation:
    """Where the records of a command's DIR argument are, and which site they belong to."""

    site_root: Path
    articles_dir: Path
    only_file: str | None = None  # show just this record file (its name as records give it)
    files: list[Path] | None = None  # load only these, not every file under articles_dir
    keeps_state: bool = True
    note: str | None = None


def locate_records(target: Path) -> RecordLocation:
    """A site folder, a folder of record files without `articles/`, or one record file."""
    if target.is_file() and target.suffix.lower() not in RECORD_SUFFIXES:
        kinds = " ".join(RECORD_SUFFIXES)
        raise SiteError(f"not a site folder nor a record file ({kinds})", file=target)
    if target.is_file():
        resolved = target.resolve()
        for parent in resolved.parents:
            if parent.name == "articles":
                # A file of a site: load the whole site, so that its related posts,
                # slug and URL are what a full run gives, then show just this file.
                shown = resolved.relative_to(parent.parent).as_posix()
                return RecordLocation(parent.parent, parent, only_file=shown)
        return RecordLocation(
            resolved.parent, resolved.parent, resolved.name, [resolved], keeps_state=False
        )
    if not (target / "articles").is_dir() and target.is_dir() and find_record_files(target).paths:
        note = f"no articles/ folder in {target}; reading the record files in it"
        return RecordLocation(target, target, note=note)
    return RecordLocation(target, target / "articles")


def count_record_files(target: Path) -> int:
    location = locate_records(target)
    return len(location.files or find_record_files(location.articles_dir).paths)


def load_site(
    target: Path,
    environ: Mapping[str, str],
    *,
    now: datetime | None = None,
    on_file: Callable[[Path], None] | None = None,
    reuse: bool = False,
) -> LoadedSite:
    """Config, records and state of the site at `target`, loaded and normalised; with
    `reuse`, through the caches of the last run (see the module's note), whose reads
    stay out of the collector's view until the end of a `caches.thawed_after` run."""
    location = locate_records(target)
    config = load_config(location.site_root, environ)
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    if location.keeps_state:
        with StateStore(config.paths.state_db) as store:
            # Later than the last edition, to the second: a story first seen now is
            # then always newer than it, and goes out in the next one.
            last = store.last_edition()
            if last is not None and moment <= last.created_at:
                moment = last.created_at + timedelta(seconds=1)
            if reuse and location.files is None:
                made = _reused(location, config, store, moment, on_file)
            else:
                loaded = _load(location, config, on_file)
                identities = partial(store.identities, now=moment)
                made = _made(loaded, normalise(loaded.records, config.settings.site, identities))
    else:
        loaded = _load(location, config, on_file)
        made = _made(loaded, normalise(loaded.records, config.settings.site, in_memory(moment)))
    notes = [Problem(location.note)] if location.note else []
    head, body, cache_key = made.head, made.body, made.key
    if location.only_file is not None:
        shown = location.only_file
        whole = body()
        articles = tuple(a for a in whole.articles if a.source.file == shown)
        head = _SiteHead(
            head.sections,
            tuple(p for p in head.errors if p.file == shown),
            tuple(p for p in head.warnings if p.file == shown),
            Counter(a.section for a in articles),
        )
        body, cache_key = _ready(SiteBody(articles, whole.fingerprints)), None
    return LoadedSite(
        config=config,
        sections=head.sections,
        errors=head.errors,
        warnings=(*notes, *config.warnings, *head.warnings),
        moment=moment,
        section_counts=head.section_counts,
        cache_key=cache_key,
        body=body,
    )


def _rules(config: LoadedConfig) -> ScrapeRules:
    imports = config.settings.import_
    return ScrapeRules.build(imports.boilerplate, keep_defaults=imports.keep_default_boilerplate)


def _load(
    location: RecordLocation,
    config: LoadedConfig,
    on_file: Callable[[Path], None] | None,
    cache: RecordCache | None = None,
    found: RecordFiles | None = None,
) -> LoadResult:
    return load_articles(
        location.articles_dir,
        _rules(config),
        on_file,
        files=location.files,
        display_root=location.site_root,
        cache=cache,
        found=found,
    )


@dataclass(frozen=True)
class _SiteHead:
    """What a site is, short of its articles: all that a publish with nothing
    changed needs (the site cache's value; the articles are stored after it)."""

    sections: tuple[str, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    section_counts: Mapping[str, int]


@dataclass(frozen=True)
class _Made:
    head: _SiteHead
    body: Callable[[], SiteBody]
    key: str | None = None  # what the site cache keeps it under, when it does


def _made(
    loaded: LoadResult, result: NormaliseResult, prints: Mapping[str, bytes] | None = None
) -> _Made:
    head = _SiteHead(
        tuple(result.sections),
        (*loaded.errors, *result.errors),
        (*loaded.warnings, *result.warnings),
        Counter(article.section for article in result.articles),
    )
    return _Made(head, _ready(SiteBody(tuple(result.articles), prints or {})))


def _ready(body: SiteBody) -> Callable[[], SiteBody]:
    return lambda: body


def _reused(
    location: RecordLocation,
    config: LoadedConfig,
    store: StateStore,
    moment: datetime,
    on_file: Callable[[Path], None] | None,
) -> _Made:
    found = find_record_files(location.articles_dir, location.site_root)
    stamps = list(zip(found.names, found.stamps, strict=True))
    # A file changed just now proves nothing by its stamp: no site cache this run.
    stamped = all(stamp is not None for _, stamp in stamps)
    settings = config.settings.model_dump_json()
    inputs = (code_stamp(), settings, stamps, found.errors, found.warnings)
    path = cache_folder(config.paths.state_db.parent) / SITE_CACHE
    if stamped:
        key = key_of(*inputs, _identity_stamp(store))
        cached = open_cache(path, key)
        if cached is not None and isinstance(cached.value, _SiteHead):
            if on_file is not None:
                for record_file in found.files:
                    on_file(record_file)
            again = _loaded_again(location, config, moment)
            return _Made(cached.value, _stored_body(cached, again), key)
    imports = config.settings.import_.model_dump_json()
    records = RecordCache(path.with_name(RECORD_CACHE), imports)
    loaded = _load(location, config, on_file, records, found)
    previous, made_before = _previous(path, settings)
    drafts = Drafts(loaded.origins, made_before)
    identities = partial(store.identities, now=moment)
    result = normalise(loaded.records, config.settings.site, identities, drafts)
    made = _made(loaded, result, fingerprints(result.articles, previous))
    if not stamped and not drafts.made:
        return made
    # Keyed by the identities as this run left them: the next run finds them so. A run
    # with a file changed just now is no site to take whole, but its drafts still are.
    key = key_of(*inputs, _identity_stamp(store)) if stamped else "(none)"
    drafted = _draft_list(settings, drafts.made, result)
    write_cache(path, key, made.head, made.body(), drafted)
    return replace(made, key=key if stamped else None)


def _stored_body(cached: StoredCache, again: Callable[[], SiteBody]) -> Callable[[], SiteBody]:
    def body() -> SiteBody:
        try:
            stored = cached.part(0)
        except Exception:  # its head was whole and of this code: a damaged disk
            stored = None
        return stored if isinstance(stored, SiteBody) else again()

    return body


def _loaded_again(
    location: RecordLocation, config: LoadedConfig, moment: datetime
) -> Callable[[], SiteBody]:
    """The articles loaded and normalised again, from nothing cached (their identities
    are in the state store, as the cached ones were made with)."""

    def body() -> SiteBody:
        loaded = _load(location, config, None)
        with StateStore(config.paths.state_db) as store:
            identities = partial(store.identities, now=moment)
            result = normalise(loaded.records, config.settings.site, identities)
        return SiteBody(tuple(result.articles), {})

    return body


@dataclass(frozen=True)
class _DraftList:
    """The drafts of a site snapshot: each article's key and the warnings it gave, by
    its place among the snapshot's articles (kept after it, read only when needed)."""

    basis: str  # the code and settings, which are not in a draft's key
    entries: tuple[tuple[DraftKey, int, tuple[Problem, ...]], ...]


def _draft_list(
    settings: str,
    made: Mapping[DraftKey, tuple[Article, tuple[Problem, ...]]],
    result: NormaliseResult,
) -> _DraftList:
    place = {article.id: number for number, article in enumerate(result.articles)}
    entries = tuple(
        (key, place[key[1]], notes) for key, (_, notes) in made.items() if key[1] in place
    )
    return _DraftList(key_of(code_stamp(), settings), entries)


def _previous(
    path: Path, settings: str
) -> tuple[dict[str, tuple[Article, bytes]], dict[DraftKey, tuple[Article, tuple[Problem, ...]]]]:
    """The last snapshot's articles with their digests, by id, and its drafts (when
    made with the same code and settings), whatever the snapshot's key."""
    cached = open_cache(path)
    try:
        body, drafts = (cached.part(0), cached.part(1)) if cached is not None else (None, None)
    except Exception:  # a damaged cache is only one that gives nothing
        return {}, {}
    if not isinstance(body, SiteBody) or not isinstance(drafts, _DraftList):
        return {}, {}
    articles = body.articles
    prints = body.fingerprints
    digests = {a.id: (a, prints[a.id]) for a in articles if a.id in prints}
    if drafts.basis != key_of(code_stamp(), settings):
        return digests, {}
    return digests, {key: (articles[place], notes) for key, place, notes in drafts.entries}


def _identity_stamp(store: StateStore) -> tuple[object, ...]:
    """What normalising read from the state store: each id's first sight and slug."""
    row = store.db.execute(
        "SELECT count(*), min(first_seen), max(first_seen), total(length(slug)),"
        " count(slug) FROM article_identity"
    ).fetchone()
    return tuple(row)


def fingerprints(
    articles: Sequence[Article], previous: Mapping[str, tuple[Article, bytes]] | None = None
) -> dict[str, bytes]:
    """Each article's digest by id; that of `previous` where the article is equal to
    the one it was made for (comparing costs a hundredth of a digest)."""
    found = {}
    for article in articles:
        before = previous.get(article.id) if previous else None
        if (
            before is not None
            and before[0] == article
            and before[0].first_seen == article.first_seen
        ):
            found[article.id] = before[1]
        else:
            found[article.id] = article_fingerprint(article)
    return found
