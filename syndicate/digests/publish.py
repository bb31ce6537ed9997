"""A checked edition written where it is served (its web copy, text and sample message,
and the archive page of every edition), then recorded with its sends queued; and the
preview of the edition due, written and recorded nowhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from syndicate._store.editions import EditionRecord
from syndicate._store.store import StateStore
from syndicate._util.files import replace_file
from syndicate._util.language import long_date
from syndicate.config import LoadedConfig
from syndicate.digests.archive_feed import ArchivedEdition, archive_feed
from syndicate.digests.edition import DigestEdition
from syndicate.digests.plan import PlannedSends, PreparedEdition, next_edition, prepare_edition
from syndicate.digests.render import (
    DigestRenderer,
    digest_site,
    edition_url,
    renderer_for,
)
from syndicate.digests.variants import dump_variant
from syndicate.errors import Problem, SiteError
from syndicate.site.records import Article


@dataclass(frozen=True)
class EditionReport:
    edition: DigestEdition | None
    folder: Path | None
    warnings: tuple[Problem, ...] = ()
    sends: PlannedSends | None = None

    def as_json(self, sent: Mapping[str, object] | None = None) -> dict[str, object] | None:
        """SPEC section 10's digest object; `sent`: how its sending went (the tally of
        its edition, as JSON; None: it was not sent in this run)."""
        if self.edition is None:
            return None
        recipients = len(self.sends.sends) if self.sends else 0
        # None: not sent in this run (publish --no-send): every recipient is queued.
        queued = recipients if sent is None else sent.get("deferred", 0)
        sent = sent or {}
        return {
            "edition": self.edition.edition_id,
            "stories": len(self.edition.stories),
            "recipients": recipients,
            "sent": sent.get("sent", 0),
            "failed": sent.get("failed", 0),
            "suppressed": self.sends.suppressed if self.sends else 0,
            "deferred": sent.get("deferred", 0),
            "queued": queued,
            "skipped": sent.get("skipped", 0),
            "variants": len(self.sends.variants) if self.sends else 0,
        }


@dataclass(frozen=True)
class Preview:
    """A preview written: the edition shown and where."""

    edition: DigestEdition
    folder: Path
    warnings: tuple[Problem, ...] = ()


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        replace_file(folder / name, content)


def write_archive(
    config: LoadedConfig, renderer: DigestRenderer, records: list[EditionRecord]
) -> None:
    """digests/index.html, every recorded edition newest first, and digests/feed.xml,
    the newest of them as an Atom feed (once there is one)."""
    site = digest_site(config)
    archived = [
        ArchivedEdition(
            record.edition_id,
            record.created_at,
            long_date(record.created_at, site.zone, site.language),
            len(record.article_ids),
            edition_url(site, record.edition_id),
        )
        for record in records
    ]
    editions = [
        {
            "id": edition.edition_id,
            "date_label": edition.date_label,
            "story_count": edition.story_count,
            "url": edition.url,
            "preheader": "",
        }
        for edition in archived
    ]
    page = renderer.render_archive(editions)
    feed = archive_feed(site, archived, renderer.messages)
    if feed is not None:
        replace_file(config.paths.digest_feed, feed)
    replace_file(config.paths.archive_page, page.encode("utf-8"))


def commit_edition(config: LoadedConfig, prepared: PreparedEdition | None) -> EditionReport:
    """Write a checked edition's files and the archive page, then record the edition."""
    renderer = renderer_for(config)
    with StateStore(config.store) as store:
        if prepared is None:
            write_archive(config, renderer, store.editions.all())
            return EditionReport(None, None)
        edition = prepared.edition
        folder = config.paths.edition(edition.edition_id)
        write_files(folder, prepared.files)
        record = EditionRecord(
            edition.edition_id, edition.created_at, tuple(story.id for story in edition.stories)
        )
        # The archive page first: a template that fails leaves nothing recorded.
        write_archive(config, renderer, [record, *store.editions.all()])
        plan = prepared.sends
        if plan is None:
            store.editions.record(record)
        else:
            rendered = {
                key: dump_variant(v, plan.headers_of(v)) for key, v in plan.variants.items()
            }
            store.editions.record(record, rendered, plan.sends)
    return EditionReport(edition, folder, prepared.warnings, plan)


def preview_edition(
    config: LoadedConfig,
    articles: Sequence[Article],
    sections: tuple[str, ...],
    *,
    since: str | None = None,
    now: datetime | None = None,
) -> Preview:
    """The edition that is due (else the newest stories), written to digests/preview/
    and recorded nowhere."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    notes: list[Problem] = []
    with StateStore(config.store) as store:
        edition = next_edition(
            config, articles, sections, store, since=since, force=False, now=moment
        )
        if edition is None:
            notes.append(Problem("nothing new since the last edition: previewing the newest"))
            edition = next_edition(
                config, articles, sections, store, since=since, force=True, now=moment
            )
    if edition is None:  # forced, it is the newest stories: there are none
        raise SiteError("no articles to preview a digest of", file=config.paths.root)
    folder = config.paths.preview
    prepared = prepare_edition(config, renderer_for(config), edition)
    write_files(folder, prepared.files)
    return Preview(edition, folder, tuple(notes) + prepared.warnings)
