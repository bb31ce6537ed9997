"""Load a site: its config, its records found and loaded, normalised against its state.

With `reuse` (build and publish), the normalised site of the last run is taken
again when nothing it was made from changed: the same record files with the same
stamps, the same settings and code, and the same recorded identities. Otherwise
each file whose stamp is unchanged gives its records from the record cache, and
only normalising runs over them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syndicate.caches import (
    cache_folder,
    code_stamp,
    key_of,
    read_cache,
    read_cache_trailer,
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
class LoadedSite:
    config: LoadedConfig
    articles: tuple[Article, ...]
    sections: tuple[str, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    moment: datetime  # when this load happened: new stories' first sight
    # Each article's digest by id, where known: what feed documents are keyed by.
    fingerprints: Mapping[str, bytes] = field(default_factory=dict)
    # The key of everything this site was made from, when it is in the site cache.
    cache_key: str | None = None


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
    `reuse`, through the caches of the last run (see the module's note)."""
    location = locate_records(target)
    config = load_config(location.site_root, environ)
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    fingerprints: Mapping[str, bytes] = {}
    cache_key = None
    if location.keeps_state:
        with StateStore(config.paths.state_db) as store:
            # Later than the last edition, to the second: a story first seen now is
            # then always newer than it, and goes out in the next one.
            last = store.last_edition()
            if last is not None and moment <= last.created_at:
                moment = last.created_at + timedelta(seconds=1)
            if reuse and location.files is None:
                snapshot = _reused(location, config, store, moment, on_file)
                loaded, result, fingerprints = snapshot.loaded, snapshot.result, snapshot.prints
                cache_key = snapshot.key
            else:
                loaded = _load(location, config, on_file)
                result = normalise(
                    loaded.records, config.settings.site, lambda p: store.identities(p, moment)
                )
    else:
        loaded = _load(location, config, on_file)
        result = normalise(loaded.records, config.settings.site, in_memory(moment))
    notes = [Problem(location.note)] if location.note else []
    articles = result.articles
    errors = loaded.errors + result.errors
    warnings = loaded.warnings + result.warnings
    if location.only_file is not None:
        shown = location.only_file
        articles = [a for a in articles if a.source.file == shown]
        errors = [p for p in errors if p.file == shown]
        warnings = [p for p in warnings if p.file == shown]
    return LoadedSite(
        config=config,
        articles=tuple(articles),
        sections=tuple(result.sections),
        errors=tuple(errors),
        warnings=tuple(notes + list(config.warnings) + warnings),
        moment=moment,
        fingerprints=fingerprints,
        cache_key=cache_key if location.only_file is None else None,
    )


def _rules(config: LoadedConfig) -> ScrapeRules:
    imports = config.settings.import_
    return ScrapeRules.build(imports.boilerplate, keep_defaults=imports.keep_default_boilerplate)


def _load(
    location: RecordLocation,
    config: LoadedConfig,
    on_file: Callable[[Path], None] | None,
    cache: RecordCache | None = None,
) -> LoadResult:
    return load_articles(
        location.articles_dir,
        _rules(config),
        on_file,
        files=location.files,
        display_root=location.site_root,
        cache=cache,
    )


@dataclass(frozen=True)
class _Snapshot:
    """A normalised site as the site cache keeps it."""

    loaded: LoadResult  # its records are not kept: only its errors and warnings
    result: NormaliseResult
    prints: dict[str, bytes]
    key: str | None = None  # what it is stored under, when it is


def _reused(
    location: RecordLocation,
    config: LoadedConfig,
    store: StateStore,
    moment: datetime,
    on_file: Callable[[Path], None] | None,
) -> _Snapshot:
    found = find_record_files(location.articles_dir, location.site_root)
    root = location.site_root
    stamps = list(zip(found.names, found.stamps, strict=True))
    # A file changed just now proves nothing by its stamp: no site cache this run.
    stamped = all(stamp is not None for _, stamp in stamps)
    settings = config.settings.model_dump_json()
    inputs = (code_stamp(), settings, stamps, found.errors, found.warnings)
    folder = cache_folder(config.paths.state_db.parent)
    if stamped:
        key = key_of(*inputs, _identity_stamp(store))
        cached = read_cache(folder / SITE_CACHE, key)
        if isinstance(cached, _Snapshot):
            if on_file is not None:
                for path in found.files:
                    on_file(path)
            return replace(cached, key=key)
    imports = config.settings.import_.model_dump_json()
    records = RecordCache(folder / RECORD_CACHE, imports)
    relocated = RecordLocation(root, location.articles_dir, files=found.files)
    loaded = _load(relocated, config, on_file, records)
    loaded.errors[:0] = found.errors
    loaded.warnings[:0] = found.warnings
    previous, made_before = _previous(folder / SITE_CACHE, settings)
    drafts = Drafts(loaded.origins, made_before)
    result = normalise(
        loaded.records, config.settings.site, lambda p: store.identities(p, moment), drafts
    )
    prints = fingerprints(result.articles, previous)
    snapshot = _Snapshot(LoadResult([], loaded.errors, loaded.warnings), result, prints)
    if not stamped and not drafts.made:
        return replace(snapshot, loaded=loaded)
    # Keyed by the identities as this run left them: the next run finds them so. A run
    # with a file changed just now is no site to take whole, but its drafts still are.
    key = key_of(*inputs, _identity_stamp(store)) if stamped else "(none)"
    write_cache(folder / SITE_CACHE, key, snapshot, _draft_list(settings, drafts.made, result))
    return _Snapshot(loaded, result, snapshot.prints, key if stamped else None)


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
    stored = read_cache_trailer(path)
    if stored is None:
        return {}, {}
    snapshot, drafts = stored
    if not isinstance(snapshot, _Snapshot) or not isinstance(drafts, _DraftList):
        return {}, {}
    articles = snapshot.result.articles
    digests = {a.id: (a, snapshot.prints[a.id]) for a in articles if a.id in snapshot.prints}
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
