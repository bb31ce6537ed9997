"""What the face of the library does: each function runs stages and returns values.

Like the CLI commands, it never prints; unlike them, it never exits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from syndicate._cache.collector import cache_reads_frozen
from syndicate._cache.edition_due import NothingDue
from syndicate._cache.feed_keys import PublishedKeys, fingerprinter, whole_key
from syndicate._cache.site import reuse_site
from syndicate._store.address import ENVIRONMENT_VARIABLE, parse_address
from syndicate._store.copy import CopiedStore, copy_store
from syndicate._store.lock import site_lock
from syndicate._store.store import StateStore
from syndicate._util.workers import Workers
from syndicate._version import __version__
from syndicate.config import LoadedConfig, load_config
from syndicate.digests.edition import DigestEdition, since_start
from syndicate.digests.plan import PreparedEdition, plan_edition
from syndicate.digests.publish import Preview, commit_edition, preview_edition
from syndicate.digests.variants import ALL_SECTIONS, variant_label
from syndicate.errors import ConfigError, Problem, SiteError
from syndicate.feeds import FeedSite, feed_site, plan_extras, plan_feeds
from syndicate.feeds.publish import PublishedFeeds, StagedFeeds, publish_staged, stage_feeds
from syndicate.feeds.websub import ping_hubs
from syndicate.mail.deliver import DeliveryReport, deliver
from syndicate.mail.report import EditionOutcome
from syndicate.mail.subscribers import (
    sync_subscriber_file,
)
from syndicate.mail.walk import SendProgress
from syndicate.reports import PublishReport
from syndicate.site.load import (
    LoadedSite,
    OnFile,
    build_workers,
    count_record_files,
    load_site,
    locate_records,
    refuse_a_rerun,
)
from syndicate.validate import FileReport, validate_outputs
from syndicate.validate.paths import ValidationRun, validate_paths
from syndicate.validate.staged import StagedFeed, validate_staged_feeds

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = [
    "BuiltSite",
    "CopiedStore",
    "build",
    "copy_state",
    "count_record_files",
    "dispatch",
    "load_site",
    "preview",
    "publish",
    "validate",
    "web_app",
]


@dataclass(frozen=True)
class BuiltSite:
    site: LoadedSite
    feeds: StagedFeeds
    published: PublishedKeys | None = None  # when building to publish


def build(
    target: Path,
    environ: Mapping[str, str],
    on_file: OnFile | None = None,
    *,
    wait: bool = False,
    jobs: int | None = None,
) -> BuiltSite:
    """Load, normalise and build every feed into the staging folder; publish nothing.
    One build or publish runs at a time: another one fails at once, unless `wait`.
    `jobs`: worker processes (0: one per core; by default `[build] jobs`)."""
    refuse_a_rerun()  # before the site lock: a rerun waiting on it would hang
    config = load_config(locate_records(_site_folder(target)).site_root, environ)
    with (
        site_lock(config.paths.lock, config.store, wait=wait),
        cache_reads_frozen(),
        _workers(config, jobs) as workers,
    ):
        return _build(target, environ, on_file, workers)


def _site_folder(target: Path) -> Path:
    """Building and publishing work on a whole site: one file would publish one story."""
    if target.is_file():
        raise SiteError(
            "build, publish and preview take a site folder, not a file "
            "(`syndicate articles FILE` shows one file)",
            file=target,
        )
    return target


# What worker processes run: imported once in their fork server.
_WORKER_MODULES = ("syndicate.site.loaders", "syndicate.feeds.publish", "syndicate.validate.staged")


def _workers(config: LoadedConfig, jobs: int | None) -> AbstractContextManager[Workers]:
    """The worker processes of one build or publish (`jobs`, else `[build] jobs`)."""
    return build_workers(config.settings.build.jobs if jobs is None else jobs, _WORKER_MODULES)


def _build(
    target: Path,
    environ: Mapping[str, str],
    on_file: OnFile | None,
    workers: Workers,
    *,
    to_publish: bool = False,
) -> BuiltSite:
    """Everything built into the staging folder; to publish, only the files whose
    published version has another key (the others are already in feeds/)."""
    site = load_site(target, environ, on_file=on_file, make=reuse_site, workers=workers)
    config = site.config
    templates = config.templates(autoescape=True)
    feeds = feed_site(config)
    folder = config.paths.staged_feeds
    with StateStore(config.store) as store:
        positions = store.feed_positions
        if not to_publish:
            articles, sections = site.articles, site.sections
            files = plan_feeds(articles, sections, feeds, templates, positions.place, None)
            return BuiltSite(site, stage_feeds(files, folder, workers=workers))
        published = PublishedKeys(config.paths.caches.feed_keys, config.paths.feeds)
        unchanged = published.all_reusable(whole_key(site.cache_key, feeds, positions.summary()))
        if unchanged is not None:
            # The same site as last published: no page to plan, let alone build.
            staged = stage_feeds(
                plan_extras(site.section_counts, site.sections, feeds, templates), folder
            )
            staged.keep_published(unchanged)
        else:
            planned = plan_feeds(
                site.articles,
                site.sections,
                feeds,
                templates,
                positions.place,
                fingerprinter(site.fingerprints),
            )
            staged = stage_feeds(planned, folder, published.reusable, workers)
        # With the positions that planning recorded: what the next run will find.
        staged.whole = whole_key(site.cache_key, feeds, positions.summary())
    return BuiltSite(site, staged, published)


def publish(
    target: Path,
    environ: Mapping[str, str],
    on_file: OnFile | None = None,
    *,
    since: str | None = None,
    force: bool = False,
    strict: bool = False,
    progress: SendProgress | None = None,
    send: bool = True,
    wait: bool = False,
    jobs: int | None = None,
) -> PublishReport:
    """Build, validate, publish the feeds that changed (telling the WebSub hubs), then
    make the digest edition that is due: its files, the archive page, its record, its
    sends queued; then send them, unless not `send` (dispatch workers will).

    Nothing is published when validation finds an error (or, with `strict`, a
    warning) in what was built: the report says why and `blocked` is set. One build
    or publish runs at a time: another one fails at once, unless `wait`. `jobs`:
    worker processes for the build (0: one per core; by default `[build] jobs`)."""
    refuse_a_rerun()  # before the site lock: a rerun waiting on it would hang
    if since is not None:
        since_start(since, datetime.now(UTC))  # a bad --since stops the run before it starts
    config = load_config(locate_records(_site_folder(target)).site_root, environ)
    config.require_real_links()  # with --no-send too: the queued messages hold the links
    with (
        site_lock(config.paths.lock, config.store, wait=wait),
        cache_reads_frozen(),
        _workers(config, jobs) as workers,
    ):
        built = _build(target, environ, on_file, workers, to_publish=True)
        site = built.site
        config = site.config
        listed = sync_subscriber_file(config)
        prepared = _due_edition(site, since=since, force=force)
        checked = tuple(_validate(built.feeds, config, prepared, workers))
        workers.close()  # the rest is one process's work: give back what they hold
        if not all(report.passes(strict=strict) for report in checked):
            return PublishReport(site, PublishedFeeds(), listed, validation=checked, blocked=True)
        # Feeds no longer built are removed only after a clean run: a run that lost
        # records (a bad file, an unmounted folder) must not take their feeds down.
        clean = site.article_count > 0 and not site.errors
        manifest = config.paths.published_feeds if clean else None
        published = publish_staged(built.feeds, config.paths.feeds, manifest)
        if built.published is not None:
            built.published.remember(built.feeds)
        # Hubs hear of the new feeds before the digest is written: if that fails, they still do.
        warnings = listed + tuple(_tell_hubs(feed_site(config), built.feeds, published))
        digest = commit_edition(config, prepared)
        # Every edition with messages still to send: this one, and any a killed run left.
        delivery = deliver(config, progress=progress) if send else None
        warnings += tuple(_rate_warnings(config, digest.edition))
    return PublishReport(site, published, warnings, digest, checked, delivery=delivery)


def _rate_warnings(config: LoadedConfig, made: DigestEdition | None) -> list[Problem]:
    """The warnings of `syndicate report` for the last edition that reports can have
    come back about (not the one this run made: its reports are still to come)."""
    with StateStore(config.store) as store:
        figures = store.bounces.figures()
    earlier = [f for f in figures if made is None or f.edition != made.edition_id]
    return EditionOutcome(earlier[0]).warnings() if earlier else []


def _due_edition(site: LoadedSite, *, since: str | None, force: bool) -> PreparedEdition | None:
    """plan_edition, unless the last publish of this very site found nothing due: then
    the site's articles are not even read (see _cache/edition_due.py)."""
    config = site.config
    memo = None
    if since is None and not force:
        memo = NothingDue.for_site(config, site.cache_key, site.moment)
        if memo.holds():
            return None
    prepared = plan_edition(
        config, site.articles, site.sections, since=since, force=force, now=site.moment
    )
    if prepared is None and memo is not None:
        memo.remember()
    return prepared


def _validate(
    staged: StagedFeeds,
    config: LoadedConfig,
    prepared: PreparedEdition | None,
    workers: Workers,
) -> list[FileReport]:
    """The feed documents that differ from those published (the others passed when
    they were published), and the edition due, named as they will be written."""
    paths = config.paths
    feeds_name = _shown(paths.feeds, paths.root)
    built = [
        StagedFeed(f"{feeds_name}/{path}", staged.folder / path, paths.feeds / path)
        for path in staged.feed_paths
        if staged.built(path)  # else the published file, which passed when it was published
    ]
    feeds = validate_staged_feeds(built, workers)
    digest: list[tuple[str, bytes]] = []
    records: tuple[str, ...] = ()
    if prepared is not None:
        folder = _shown(paths.edition(prepared.edition.edition_id), paths.root)
        digest = [(f"{folder}/{name}", content) for name, content in prepared.files.items()]
        records = prepared.record_text
        if prepared.sends is not None:
            # Each variant subscribers get, as a sample message (named for its sections).
            for key, sample in prepared.sends.samples(config).items():
                if key != ALL_SECTIONS:
                    digest.append((f"{folder}/sample.eml[{variant_label(key)}]", sample))
    return feeds + validate_outputs((), digest, records)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _tell_hubs(site: FeedSite, staged: StagedFeeds, published: PublishedFeeds) -> list[Problem]:
    changed = set(published.written)
    pinged = [
        site.feed_url(path)
        for path in staged.feed_paths
        if path in changed and not path.startswith("archive/")
    ]
    return ping_hubs(site.hubs, pinged, f"syndicate/{__version__}") if pinged else []


def dispatch(
    target: Path,
    environ: Mapping[str, str],
    progress: SendProgress | None = None,
    *,
    worker_id: str | None = None,
) -> DeliveryReport:
    """Send what publish queued and did not finish (a publish --no-send, a killed run,
    temporary failures). Several may run at once, on this machine or on others that
    share the store: they share each edition's sends (see _store/sends.py). The
    worker's id is `worker_id`, or this host and the site folder's path."""
    config = load_config(locate_records(target).site_root, environ)
    config.require_real_links()
    return deliver(config, progress=progress, worker_id=worker_id)


def preview(
    target: Path, environ: Mapping[str, str], *, since: str | None = None
) -> tuple[LoadedSite, Preview]:
    """The edition that is due, written to digests/preview/, recorded nowhere."""
    site = load_site(_site_folder(target), environ)
    return site, preview_edition(site.config, site.articles, site.sections, since=since)


def validate(paths: Sequence[Path]) -> ValidationRun:
    """Check feed and digest files, ours or anyone's, and folders of them."""
    return validate_paths(paths)


def web_app(target: Path, environ: Mapping[str, str]) -> tuple[str, Starlette]:
    """The site's title, and the app that `syndicate serve` runs for the site at `target`."""
    # Here, not above: only serving needs Starlette, and every command imports this.
    from syndicate.serve import create_app

    config = load_config(locate_records(target).site_root, environ)
    return config.title, create_app(config)


def copy_state(target: Path, environ: Mapping[str, str], to: str | None = None) -> CopiedStore:
    """Copy the site's SQLite store into the empty PostgreSQL database `to` (default:
    SYNDICATE_DATABASE_URL), checking row counts; a target with any row is refused.
    A password comes from the environment: SYNDICATE_DATABASE_URL's, or PGPASSWORD."""
    config = load_config(locate_records(target).site_root, environ)
    if to is None:
        to = environ.get(ENVIRONMENT_VARIABLE, "").strip()
        if not to:
            raise ConfigError(f"no target: pass --to URL, or set {ENVIRONMENT_VARIABLE}")
        address = parse_address(to, config.paths.root, from_environment=True)
    else:
        address = parse_address(to, config.paths.root, from_environment=False)
    return copy_store(config.paths.state_db, address)
