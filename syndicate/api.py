"""The library's face for the CLI: each function runs stages and returns values.

Like the CLI commands, it never prints; unlike them, it never exits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from syndicate import __version__
from syndicate._cache.edition_due import NothingDue
from syndicate._cache.files import cache_folder, cache_reads_frozen, key_of
from syndicate._store.store import StateStore
from syndicate._util.lock import site_lock
from syndicate._util.templating import template_environment
from syndicate.config import LoadedConfig, SitePaths, load_config
from syndicate.digests.plan import (
    EditionReport,
    PreparedEdition,
    commit_edition,
    plan_edition,
    preview_edition,
    since_start,
)
from syndicate.errors import Problem, SiteError, SubscriberFileError
from syndicate.feeds import FeedSite, build_feeds, plan_extras, plan_feeds
from syndicate.feeds.model import FEEDS_FOLDER, article_fingerprint
from syndicate.feeds.publish import (
    PublishedFeeds,
    PublishedKeys,
    StagedFeeds,
    publish_staged,
    stage_feeds,
)
from syndicate.feeds.websub import ping_hubs
from syndicate.mail.deliver import DeliveryReport, deliver
from syndicate.mail.ledger import ALL_SECTIONS
from syndicate.mail.sender import EditionTally, SendProgress
from syndicate.mail.subscribers import SubscriberBook, read_subscriber_csv
from syndicate.site.load import LoadedSite, count_record_files, load_site, locate_records
from syndicate.site.records import Article
from syndicate.validate import FileReport, validate_outputs

__all__ = [
    "BuiltSite",
    "LoadedSite",
    "PublishReport",
    "build",
    "count_record_files",
    "dispatch",
    "feed_site",
    "load_site",
    "locate_records",
    "preview",
    "publish",
]


def feed_site(config: LoadedConfig) -> FeedSite:
    settings = config.settings
    return FeedSite(
        title=config.title,
        base_url=settings.site.base_url,
        language=settings.site.language,
        formats=tuple(settings.feeds.formats),
        entries=settings.feeds.entries,
        hubs=tuple(settings.feeds.hubs),
        generator="syndicate",
        version=__version__,
    )


FEED_KEYS = "feed-keys.pickle"


@dataclass(frozen=True)
class BuiltSite:
    site: LoadedSite
    feeds: StagedFeeds
    published: PublishedKeys | None = None  # when building to publish


def build(
    target: Path, environ: Mapping[str, str], on_file: Callable[[Path], None] | None = None
) -> BuiltSite:
    """Load, normalise and build every feed into the staging folder; publish nothing."""
    with site_lock(_lock_path(_site_folder(target))), cache_reads_frozen():
        return _build(target, environ, on_file)


def _site_folder(target: Path) -> Path:
    """Building and publishing work on a whole site: one file would publish one story."""
    if target.is_file():
        raise SiteError(
            "build, publish and preview take a site folder, not a file "
            "(`syndicate articles FILE` shows one file)",
            file=target,
        )
    return target


def _lock_path(target: Path) -> Path:
    return SitePaths(locate_records(target).site_root).root / ".syndicate" / "publish.lock"


def _build(
    target: Path,
    environ: Mapping[str, str],
    on_file: Callable[[Path], None] | None,
    *,
    to_publish: bool = False,
) -> BuiltSite:
    """Everything built into the staging folder; to publish, only the files whose
    published version has another key (the others are already in feeds/)."""
    site = load_site(target, environ, on_file=on_file, reuse=True)
    config = site.config
    templates = template_environment(config.paths.templates, autoescape=True)
    feeds = feed_site(config)
    folder = config.paths.build / FEEDS_FOLDER
    with StateStore(config.paths.state_db) as store:
        if not to_publish:
            files = build_feeds(
                site.articles, site.sections, feeds, templates, store.feed_positions
            )
            return BuiltSite(site, stage_feeds(files, folder))
        keys = cache_folder(config.paths.state_db.parent) / FEED_KEYS
        published = PublishedKeys(keys, config.paths.feeds)
        unchanged = published.all_reusable(_whole_key(site, feeds, store))
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
                store.feed_positions,
                _fingerprinter(site.fingerprints),
            )
            staged = stage_feeds(planned, folder, published.reusable)
        # With the positions that planning recorded: what the next run will find.
        staged.whole = _whole_key(site, feeds, store)
    return BuiltSite(site, staged, published)


def _fingerprinter(known: Mapping[str, bytes]) -> Callable[[Article], bytes]:
    """Each article's digest, from `known` or made once: it is in six documents or more."""
    found = dict(known)

    def fingerprint(article: Article) -> bytes:
        digest = found.get(article.id)
        if digest is None:
            digest = found[article.id] = article_fingerprint(article)
        return digest

    return fingerprint


def _whole_key(site: LoadedSite, feeds: FeedSite, store: StateStore) -> str | None:
    """A key of all the feed documents: the cached site, the feed settings and what the
    feeds' story positions are, in short (positions are only ever added to)."""
    if site.cache_key is None:
        return None
    placed = store.db.execute(
        "SELECT count(*), total(position), max(position) FROM feed_position"
    ).fetchone()
    return key_of(site.cache_key, feeds, tuple(placed))


@dataclass(frozen=True)
class PublishReport:
    """What `publish --json` prints (SPEC section 10), plus articles per section."""

    site: LoadedSite
    feeds: PublishedFeeds
    run_warnings: tuple[Problem, ...] = ()  # subscribers.csv rows, hubs, sending
    digest: EditionReport | None = None
    validation: tuple[FileReport, ...] = ()
    blocked: bool = False  # validation stopped the run: nothing was published
    delivery: DeliveryReport | None = None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return self.site.errors + _problems(self.validation, errors=True)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        digest = self.digest.warnings if self.digest else ()
        checks = _problems(self.validation, errors=False)
        sending = self.delivery.warnings if self.delivery else ()
        return self.site.warnings + checks + self.run_warnings + digest + sending

    def _tally(self) -> EditionTally | None:
        if self.delivery is None or self.digest is None or self.digest.edition is None:
            return None
        return self.delivery.tally(self.digest.edition.edition_id)

    def feed_counts(self) -> dict[str, int]:
        """Feed documents (archive pages included), not OPML, XSL or link tags."""
        return {
            "written": sum(map(is_feed_document, self.feeds.written)),
            "unchanged": sum(map(is_feed_document, self.feeds.unchanged)),
            "removed": sum(map(is_feed_document, self.feeds.removed)),
        }

    def section_counts(self) -> dict[str, int]:
        counts = self.site.section_counts
        return {name: counts.get(name, 0) for name in self.site.sections}

    def as_json(self) -> dict[str, object]:
        return {
            "articles": self.site.article_count,
            "errors": [p.as_json() for p in self.errors],
            "warnings": [p.as_json() for p in self.warnings],
            "feeds": self.feed_counts(),
            "digest": None if self.digest is None else self.digest.as_json(self._tally()),
            "sections": self.section_counts(),
            "dispatch": None if self.delivery is None else self.delivery.as_json(),
            "validation": {
                "checked": len(self.validation),
                "blocked": self.blocked,
                "files": [r.as_json() for r in self.validation if r.findings],
            },
        }


def _problems(reports: tuple[FileReport, ...], *, errors: bool) -> tuple[Problem, ...]:
    """Validation findings as problems: the code where a record problem has its field."""
    return tuple(
        Problem(finding.message, report.path, finding.line, finding.code)
        for report in reports
        for finding in (report.errors if errors else report.warnings)
    )


def is_feed_document(path: str) -> bool:
    return path.endswith(("rss.xml", "atom.xml", "feed.json")) or path.startswith("archive/")


def publish(
    target: Path,
    environ: Mapping[str, str],
    on_file: Callable[[Path], None] | None = None,
    *,
    since: str | None = None,
    force: bool = False,
    strict: bool = False,
    progress: SendProgress | None = None,
) -> PublishReport:
    """Build, validate, publish the feeds that changed (telling the WebSub hubs), then
    make the digest edition that is due: its files, the archive page, its record.

    Nothing is published when validation finds an error (or, with `strict`, a
    warning) in what was built: the report says why and `blocked` is set."""
    if since is not None:
        since_start(since, datetime.now(UTC))  # a bad --since stops the run before it starts
    with site_lock(_lock_path(_site_folder(target))), cache_reads_frozen():
        built = _build(target, environ, on_file, to_publish=True)
        site = built.site
        config = site.config
        listed = sync_subscriber_file(config)
        prepared = _due_edition(site, since=since, force=force)
        checked = tuple(_validate(built.feeds, config, prepared))
        if not all(report.passes(strict=strict) for report in checked):
            return PublishReport(site, PublishedFeeds(), listed, validation=checked, blocked=True)
        # Feeds no longer built are removed only after a clean run: a run that lost
        # records (a bad file, an unmounted folder) must not take their feeds down.
        clean = site.article_count > 0 and not site.errors
        manifest = config.paths.root / ".syndicate" / "published-feeds.txt"
        published = publish_staged(built.feeds, config.paths.feeds, manifest if clean else None)
        if built.published is not None:
            built.published.remember(built.feeds)
        # Hubs hear of the new feeds before the digest is written: if that fails, they still do.
        warnings = listed + tuple(_tell_hubs(feed_site(config), built.feeds, published))
        digest = commit_edition(config, prepared)
        # Every edition with messages still to send: this one, and any a killed run left.
        delivery = deliver(config, progress=progress)
    return PublishReport(site, published, warnings, digest, checked, delivery=delivery)


def _due_edition(site: LoadedSite, *, since: str | None, force: bool) -> PreparedEdition | None:
    """plan_edition, unless the last publish of this very site found nothing due: then
    the site's articles are not even read (see edition_due)."""
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


SUBSCRIBER_FILE = "subscribers.csv"


def sync_subscriber_file(config: LoadedConfig) -> tuple[Problem, ...]:
    """The site's subscribers.csv, imported as `subscribers import` would (so never
    resubscribing anyone who left); each bad row is a warning."""
    path = config.paths.root / SUBSCRIBER_FILE
    if not path.is_file():
        return ()
    try:
        rows, problems = read_subscriber_csv(path)
    except SubscriberFileError as exc:
        # The feeds and the subscribers already known still go out.
        return (replace(exc.problem, message=f"{exc.problem.message}; not imported"),)
    with StateStore(config.paths.state_db) as store:
        SubscriberBook(store).upsert(rows)
    return tuple(problems)


def dispatch(
    target: Path, environ: Mapping[str, str], progress: SendProgress | None = None
) -> DeliveryReport:
    """Send what publish queued and did not finish (a killed run, temporary failures)."""
    with site_lock(_lock_path(_site_folder(target))):
        config = load_config(locate_records(target).site_root, environ)
        return deliver(config, progress=progress)


def _validate(
    staged: StagedFeeds, config: LoadedConfig, prepared: PreparedEdition | None
) -> list[FileReport]:
    """The feed documents that differ from those published (the others passed when
    they were published), and the edition due, named as they will be written."""
    paths = config.paths
    feeds_name = _shown(paths.feeds, paths.root)
    changed = []
    for path in staged.feed_paths:
        if not staged.built(path):
            continue  # the published file, which passed when it was published
        content = (staged.folder / path).read_bytes()
        published = paths.feeds / path
        if not published.is_file() or published.read_bytes() != content:
            changed.append((f"{feeds_name}/{path}", content))
    digest: list[tuple[str, bytes]] = []
    records: tuple[str, ...] = ()
    if prepared is not None:
        folder = _shown(paths.digests / prepared.edition.edition_id, paths.root)
        digest = [(f"{folder}/{name}", content) for name, content in prepared.files.items()]
        records = prepared.record_text
        if prepared.sends is not None:
            # Each variant subscribers get, as a sample message (named for its sections).
            for key, sample in prepared.sends.samples(config).items():
                if key != ALL_SECTIONS:
                    label = "+".join(json.loads(key))
                    digest.append((f"{folder}/sample.eml[{label}]", sample))
    return validate_outputs(changed, digest, records)


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


def preview(
    target: Path, environ: Mapping[str, str], *, since: str | None = None
) -> tuple[LoadedSite, EditionReport]:
    """The edition that is due, written to digests/preview/, recorded nowhere."""
    site = load_site(_site_folder(target), environ)
    return site, preview_edition(site.config, site.articles, site.sections, since=since)
