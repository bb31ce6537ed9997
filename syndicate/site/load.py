"""Load a site: its config, its records found and loaded, normalised against its state.

How the records become articles can be handed in (`make`): build and publish take the
site cache's way (_cache/site.py), which takes the site of the last run again when
nothing it was made from changed, and otherwise loads only the files that changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from pathlib import Path
from typing import Protocol

from syndicate._store.identities import in_memory
from syndicate._store.store import StateStore
from syndicate._util.workers import UNGUARDED, Workers, WorkersBroken, starting_a_worker
from syndicate.config import LoadedConfig, load_config
from syndicate.errors import Problem, SiteError, WorkerError
from syndicate.paths import SitePaths
from syndicate.site.loaders import (
    RECORD_SUFFIXES,
    LoadResult,
    RecordFiles,
    RecordReuse,
    ScrapeRules,
    find_record_files,
    load_articles,
)
from syndicate.site.normalise import NormaliseResult, normalise
from syndicate.site.records import Article

OnFile = Callable[[Path], None]  # told of each record file as it is loaded


@dataclass(frozen=True)
class SiteBody:
    """A loaded site's articles, and their fingerprints by id where known."""

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
    articles = SitePaths(target).articles
    if not articles.is_dir() and target.is_dir() and find_record_files(target).paths:
        note = f"no articles/ folder in {target}; reading the record files in it"
        return RecordLocation(target, target, note=note)
    return RecordLocation(target, articles)


def refuse_a_rerun() -> None:
    """Refuse to build in a worker process that is still importing the main module: it
    is an unguarded script's top level, run again (see _util/workers.py)."""
    if starting_a_worker():
        raise WorkerError(UNGUARDED)


@contextmanager
def build_workers(jobs: int, preload: Sequence[str]) -> Iterator[Workers]:
    """The worker processes of one command, running the modules `preload` names; a
    worker that dies is one WorkerError."""
    with Workers(jobs, preload=preload) as workers:
        try:
            yield workers
        except WorkersBroken as exc:
            raise WorkerError(str(exc)) from None


def count_record_files(target: Path) -> int:
    location = locate_records(target)
    return len(location.files or find_record_files(location.articles_dir).paths)


@dataclass(frozen=True)
class MadeSite:
    """A site's head, and its body when asked for."""

    head: SiteHead
    body: Callable[[], SiteBody]
    key: str | None = None  # what the site cache keeps it under, when it does


class MakeSite(Protocol):
    """Makes the articles of a whole site (all of `location`), its identities settled
    in `store` as first seen at `moment`."""

    def __call__(
        self,
        location: RecordLocation,
        config: LoadedConfig,
        store: StateStore,
        moment: datetime,
        on_file: OnFile | None,
        workers: Workers,
    ) -> MadeSite: ...


def load_site(
    target: Path,
    environ: Mapping[str, str],
    *,
    now: datetime | None = None,
    on_file: OnFile | None = None,
    make: MakeSite | None = None,
    workers: Workers | None = None,
) -> LoadedSite:
    """Config, records and state of the site at `target`, loaded and normalised; the
    records of a whole site made by `make` where given (see the module's note).

    Record files are parsed in `workers`, else in as many processes as `[build] jobs`
    asks for."""
    refuse_a_rerun()
    location = locate_records(target)
    config = load_config(location.site_root, environ)
    if workers is None:
        with build_workers(config.settings.build.jobs, [__name__]) as own:
            return load_site(target, environ, now=now, on_file=on_file, make=make, workers=own)
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    if location.keeps_state:
        with StateStore(config.store) as store:
            # Later than the last edition, to the second: a story first seen now is
            # then always newer than it, and goes out in the next one.
            last = store.editions.last()
            if last is not None and moment <= last.created_at:
                moment = last.created_at + timedelta(seconds=1)
            if make is not None and location.files is None:
                made = make(location, config, store, moment, on_file, workers)
            else:
                loaded = load_records(location, config, on_file, workers=workers)
                identities = partial(store.identities.settle, now=moment)
                made = made_site(
                    loaded, normalise(loaded.records, config.settings.site, identities)
                )
    else:
        loaded = load_records(location, config, on_file, workers=workers)
        made = made_site(loaded, normalise(loaded.records, config.settings.site, in_memory(moment)))
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
        body, cache_key = ready(SiteBody(articles, whole.fingerprints)), None
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


def load_records(
    location: RecordLocation,
    config: LoadedConfig,
    on_file: OnFile | None,
    cache: RecordReuse | None = None,
    found: RecordFiles | None = None,
    workers: Workers | None = None,
) -> LoadResult:
    """The records at `location`, as the site's settings have them read."""
    imports = config.settings.import_
    return load_articles(
        location.articles_dir,
        ScrapeRules.build(imports.boilerplate, keep_defaults=imports.keep_default_boilerplate),
        on_file,
        files=location.files,
        display_root=location.site_root,
        cache=cache,
        found=found,
        workers=workers,
    )


def made_site(
    loaded: LoadResult, result: NormaliseResult, prints: Mapping[str, bytes] | None = None
) -> MadeSite:
    """What loading and normalising made, as a site."""
    head = SiteHead(
        tuple(result.sections),
        (*loaded.errors, *result.errors),
        (*loaded.warnings, *result.warnings),
        Counter(article.section for article in result.articles),
    )
    return MadeSite(head, ready(SiteBody(tuple(result.articles), prints or {})))


def ready(body: SiteBody) -> Callable[[], SiteBody]:
    return lambda: body
