"""What the face of the library does: each function runs stages and returns values.

Like the CLI commands, it never prints; unlike them, it never exits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from syndicate._cache.collector import cache_reads_frozen
from syndicate._cache.edition_due import NothingDue
from syndicate._cache.feed_keys import PublishedKeys, fingerprinter, whole_key
from syndicate._cache.site import reuse_site
from syndicate._store.bounces import StoredEvent
from syndicate._store.lock import site_lock
from syndicate._store.store import StateStore
from syndicate._store.subscribers import ImportResult, Subscriber
from syndicate._util.templating import template_environment
from syndicate._version import __version__
from syndicate.config import LoadedConfig, load_config
from syndicate.digests.edition import since_start
from syndicate.digests.headers import list_id
from syndicate.digests.plan import PreparedEdition, plan_edition
from syndicate.digests.publish import Preview, commit_edition, preview_edition
from syndicate.digests.variants import ALL_SECTIONS
from syndicate.errors import ConfigError, Problem, SiteError
from syndicate.feeds import FeedSite, build_feeds, feed_site, plan_extras, plan_feeds
from syndicate.feeds.publish import PublishedFeeds, StagedFeeds, publish_staged, stage_feeds
from syndicate.feeds.websub import ping_hubs
from syndicate.mail.bounces import inbox as bounces_inbox
from syndicate.mail.bounces.inbox import BounceRun
from syndicate.mail.bounces.sources import messages_at
from syndicate.mail.deliver import DeliveryReport, deliver
from syndicate.mail.subscribers import (
    RowError,
    check_row,
    read_subscriber_csv,
    sync_subscriber_file,
)
from syndicate.mail.tokens import VerpAddresses, signing_key, unsubscribe_mail_token
from syndicate.mail.walk import SendProgress
from syndicate.paths import SitePaths
from syndicate.reports import PublishReport
from syndicate.site.load import LoadedSite, OnFile, count_record_files, load_site, locate_records
from syndicate.validate import FileReport, validate_outputs
from syndicate.validate.paths import ValidationRun, validate_paths

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = [
    "BuiltSite",
    "add_subscriber",
    "build",
    "count_record_files",
    "dispatch",
    "import_subscribers",
    "list_subscribers",
    "load_site",
    "preview",
    "publish",
    "read_bounces",
    "remove_subscriber",
    "show_subscriber",
    "unsubscribe_by_mail",
    "validate",
    "web_app",
]


@dataclass(frozen=True)
class BuiltSite:
    site: LoadedSite
    feeds: StagedFeeds
    published: PublishedKeys | None = None  # when building to publish


def build(target: Path, environ: Mapping[str, str], on_file: OnFile | None = None) -> BuiltSite:
    """Load, normalise and build every feed into the staging folder; publish nothing."""
    with site_lock(_lock_of(target)), cache_reads_frozen():
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


def _lock_of(target: Path) -> Path:
    """The lock of the site at `target`: one build, publish or dispatch at a time."""
    return SitePaths(locate_records(_site_folder(target)).site_root).lock


def _build(
    target: Path,
    environ: Mapping[str, str],
    on_file: OnFile | None,
    *,
    to_publish: bool = False,
) -> BuiltSite:
    """Everything built into the staging folder; to publish, only the files whose
    published version has another key (the others are already in feeds/)."""
    site = load_site(target, environ, on_file=on_file, make=reuse_site)
    config = site.config
    templates = template_environment(config.paths.templates, autoescape=True)
    feeds = feed_site(config)
    folder = config.paths.staged_feeds
    with StateStore(config.paths.state_db) as store:
        positions = store.feed_positions
        if not to_publish:
            files = build_feeds(site.articles, site.sections, feeds, templates, positions.place)
            return BuiltSite(site, stage_feeds(files, folder))
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
            staged = stage_feeds(planned, folder, published.reusable)
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
) -> PublishReport:
    """Build, validate, publish the feeds that changed (telling the WebSub hubs), then
    make the digest edition that is due: its files, the archive page, its record.

    Nothing is published when validation finds an error (or, with `strict`, a
    warning) in what was built: the report says why and `blocked` is set."""
    if since is not None:
        since_start(since, datetime.now(UTC))  # a bad --since stops the run before it starts
    with site_lock(_lock_of(target)), cache_reads_frozen():
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
        manifest = config.paths.published_feeds if clean else None
        published = publish_staged(built.feeds, config.paths.feeds, manifest)
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
        folder = _shown(paths.edition(prepared.edition.edition_id), paths.root)
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


def dispatch(
    target: Path, environ: Mapping[str, str], progress: SendProgress | None = None
) -> DeliveryReport:
    """Send what publish queued and did not finish (a killed run, temporary failures)."""
    with site_lock(_lock_of(target)):
        config = load_config(locate_records(target).site_root, environ)
        return deliver(config, progress=progress)


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


def _store_of(target: Path, environ: Mapping[str, str]) -> StateStore:
    return StateStore(load_config(target, environ).paths.state_db)


def import_subscribers(
    target: Path, environ: Mapping[str, str], csv_file: Path, *, resubscribe: bool = False
) -> tuple[ImportResult, list[Problem]]:
    """The good rows of `csv_file` into the site's subscribers; a problem for each bad
    one. Nobody who left is made active again, unless `resubscribe`."""
    rows, problems = read_subscriber_csv(csv_file)
    with _store_of(target, environ) as store:
        return store.subscribers.upsert(rows, resubscribe=resubscribe), problems


def add_subscriber(
    target: Path,
    environ: Mapping[str, str],
    email: str,
    *,
    name: str | None = None,
    sections: str | None = None,
    resubscribe: bool = False,
) -> tuple[str, ImportResult]:
    """Add a subscriber, or change the name and sections (those given) of one; returns
    the address as stored, and what was done."""
    try:
        checked = check_row(email, name or "", sections or "")
    except RowError as exc:
        raise ConfigError(str(exc), field=exc.field) from None
    row = replace(
        checked,
        name=None if name is None else checked.name,
        sections=None if sections is None else checked.sections,
    )
    with _store_of(target, environ) as store:
        return row.email, store.subscribers.upsert([row], resubscribe=resubscribe)


def remove_subscriber(
    target: Path, environ: Mapping[str, str], email: str, *, forget: bool = False
) -> bool:
    """Unsubscribe someone, or with `forget` delete them and their sends; whether there
    was such a subscriber."""
    try:
        address = check_row(email).email
    except RowError as exc:
        raise ConfigError(str(exc), field=exc.field) from None
    with _store_of(target, environ) as store:
        book = store.subscribers
        return book.remove(address) if forget else book.set_status(address, "unsubscribed")


def list_subscribers(target: Path, environ: Mapping[str, str]) -> list[tuple[Subscriber, bool]]:
    """Every subscriber, by address, and whether their address is suppressed."""
    with _store_of(target, environ) as store:
        suppressed = store.subscribers.suppressed()
        return [(s, s.email in suppressed) for s in store.subscribers.all()]


def unsubscribe_by_mail(target: Path, environ: Mapping[str, str], message: bytes) -> str:
    """Unsubscribe the address that a message to the List-Unsubscribe mailto address
    names with its signed subject; returns it."""
    config = load_config(target, environ)
    key, _ = signing_key(config)
    who = unsubscribe_mail_token(message, key, list_id(config.settings.site.host))
    if who is None:
        raise ConfigError("no valid unsubscribe token in the subject", field="Subject")
    with StateStore(config.paths.state_db) as store:
        subscriber = store.subscribers.named_by(who)
        if subscriber is None:
            raise ConfigError("the token names no subscriber (deleted since)", field="Subject")
        store.subscribers.set_status(subscriber.email, "unsubscribed")
    return subscriber.email


def read_bounces(
    target: Path, environ: Mapping[str, str], paths: Sequence[str], stdin: BinaryIO | None = None
) -> BounceRun:
    """Read bounce and complaint reports from message files, Maildirs, mbox files or
    standard input ("-"), and apply them to the site's subscribers."""
    config = load_config(target, environ)
    if not paths:
        raise ConfigError(
            "name the messages to read: files, Maildirs, mbox files, or - for standard input",
            field="PATH",
        )
    address = config.settings.bounces.address
    verp = None if address is None else VerpAddresses(address, signing_key(config)[0])
    return bounces_inbox.read_bounces(config, messages_at(list(paths), stdin), verp)


def show_subscriber(
    target: Path, environ: Mapping[str, str], email: str
) -> tuple[Subscriber, list[StoredEvent]] | None:
    """A subscriber, and the bounces, complaints and auto-replies about them; None when
    there is no such subscriber."""
    try:
        address = check_row(email).email
    except RowError as exc:
        raise ConfigError(str(exc), field=exc.field) from None
    with _store_of(target, environ) as store:
        found = store.subscribers.find(address)
        return None if found is None else (found, store.bounces.history(found.id))
