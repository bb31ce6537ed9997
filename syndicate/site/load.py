"""Load a site: its config, its records found and loaded, normalised against its state.

With `reuse` (build and publish), the normalised site of the last run is taken
again when nothing it was made from changed: the same record files with the same
stamps, the same settings and code, and the same recorded identities. Otherwise
each file whose stamp is unchanged gives its records from the record cache, and
only normalising runs over them all.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from pathlib import Path

from syndicate._cache.files import StoredCache, cache_folder, code_stamp, key_of, open_cache
from syndicate._cache.site import (
    SITE_CACHE,
    SiteBody,
    SiteHead,
    fingerprints,
    identity_stamp,
    read_previous,
    stored_body,
    write_snapshot,
)
from syndicate._store.store import StateStore
from syndicate.config import LoadedConfig, load_config
from syndicate.errors import Problem, SiteError
from syndicate.site.identity import in_memory
from syndicate.site.loaders import (
    RECORD_SUFFIXES,
    LoadResult,
    RecordCache,
    RecordFiles,
    ScrapeRules,
    find_record_files,
    load_articles,
)
from syndicate.site.normalise import Drafts, NormaliseResult, normalise
from syndicate.site.records import Article

RECORD_CACHE = "records.pickle"


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
    `reuse`, through the caches of the last run (see the module's note)."""
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
        head = SiteHead(
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
class _Made:
    head: SiteHead
    body: Callable[[], SiteBody]
    key: str | None = None  # what the site cache keeps it under, when it does


def _made(
    loaded: LoadResult, result: NormaliseResult, prints: Mapping[str, bytes] | None = None
) -> _Made:
    head = SiteHead(
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
        key = key_of(*inputs, identity_stamp(store))
        cached = open_cache(path, key)
        if cached is not None and isinstance(cached.value, SiteHead):
            if on_file is not None:
                for record_file in found.files:
                    on_file(record_file)
            again = _loaded_again(location, config, moment)
            return _Made(cached.value, _stored_body(cached, again), key)
    imports = config.settings.import_.model_dump_json()
    records = RecordCache(path.with_name(RECORD_CACHE), imports)
    loaded = _load(location, config, on_file, records, found)
    basis = key_of(code_stamp(), settings)
    previous = read_previous(path, basis)
    drafts = Drafts(loaded.origins, previous.drafts)
    identities = partial(store.identities, now=moment)
    result = normalise(loaded.records, config.settings.site, identities, drafts)
    made = _made(loaded, result, fingerprints(result.articles, previous.articles))
    if not stamped and not drafts.made:
        return made
    # Keyed by the identities as this run left them: the next run finds them so. A run
    # with a file changed just now is no site to take whole, but its drafts still are.
    key = key_of(*inputs, identity_stamp(store)) if stamped else "(none)"
    write_snapshot(path, key, made.head, made.body(), drafts.made, basis, previous)
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
        loaded = _load(location, config, None)
        with StateStore(config.paths.state_db) as store:
            identities = partial(store.identities, now=moment)
            result = normalise(loaded.records, config.settings.site, identities)
        return SiteBody(tuple(result.articles), {})

    return body
