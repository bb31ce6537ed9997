"""The library's face for digests: choose, render, write and record editions.

Wiring only, like pipeline.py: the digest stage does the work.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from pathlib import Path

from syndicate.config import LoadedConfig
from syndicate.digests import (
    DigestEdition,
    DigestRenderer,
    DigestSite,
    EditionHeaders,
    Recipient,
    build_message,
    make_edition,
    select_stories,
)
from syndicate.digests.edition import next_edition_id, window_start
from syndicate.digests.messages import header_text
from syndicate.digests.render import long_date, unresolved_related
from syndicate.errors import ConfigError, Problem
from syndicate.records import Article
from syndicate.state import EditionRecord, StateStore
from syndicate.templating import template_environment

PREVIEW_FOLDER = "preview"


@dataclass(frozen=True)
class EditionReport:
    edition: DigestEdition | None
    folder: Path | None
    warnings: tuple[Problem, ...] = ()

    def as_json(self) -> dict[str, object] | None:
        if self.edition is None:
            return None
        # Subscribers and sending arrive with dispatch: until then nobody receives it.
        return {
            "edition": self.edition.edition_id,
            "stories": len(self.edition.stories),
            "recipients": 0,
            "sent": 0,
            "failed": 0,
            "suppressed": 0,
        }


def digest_site(config: LoadedConfig) -> DigestSite:
    site = config.settings.site
    return DigestSite(
        title=config.title,
        url=site.base_url,
        host=site.host,
        language=site.language,
        zone=site.zone,
        postal_address=config.settings.digest.postal_address,
    )


def renderer_for(config: LoadedConfig) -> DigestRenderer:
    templates = config.paths.templates
    return DigestRenderer(
        digest_site(config),
        template_environment(templates, autoescape=True),
        template_environment(templates, autoescape=False),
    )


def edition_headers(config: LoadedConfig, edition: DigestEdition) -> EditionHeaders:
    site = digest_site(config)
    date_label = long_date(edition.created_at, site.zone)
    title = header_text(site.title)
    subject = config.settings.digest.subject.format(
        site=title, date=date_label, edition=edition.edition_id
    )
    sender = config.settings.digest.from_ or str(
        Address(display_name=title, addr_spec=f"digest@{site.host}")
    )
    # RFC 2919: a phrase, then the list's id in angle brackets; the phrase quoted.
    phrase = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return EditionHeaders(
        sender=sender,
        subject=header_text(subject),
        date=edition.created_at,
        list_id=f"{phrase} <digest.{site.host}>",
        host=site.host,
        edition_id=edition.edition_id,
    )


def sample_reader(config: LoadedConfig) -> Recipient:
    base = config.settings.site.base_url
    host = config.settings.site.host
    return Recipient(
        email="reader@example.com",
        name="Sample Reader",
        unsubscribe_url=f"{base}unsubscribe/sample",
        unsubscribe_mailto=f"mailto:unsubscribe@{host}?subject=unsubscribe%20sample",
    )


def next_edition(
    config: LoadedConfig,
    articles: Sequence[Article],
    sections: tuple[str, ...],
    store: StateStore,
    *,
    since: str | None,
    force: bool,
    now: datetime,
) -> DigestEdition | None:
    """The edition due now, or None when there is nothing new (and no `force`)."""
    window_from = since_start(since or config.settings.digest.since, now)
    history = store.editions()
    first = min((record.created_at for record in history), default=None)
    stories = select_stories(
        articles,
        window_from=window_from,
        first_edition_at=first,
        sent=frozenset(i for record in history for i in record.article_ids),
    )
    if not stories:
        if not force:
            return None
        # Forced with nothing new: the newest stories, never an empty digest.
        stories = select_stories(articles, window_from=None)
        if not stories:
            return None
    day = now.astimezone(config.settings.site.zone).date().isoformat()
    taken = {record.edition_id for record in store.editions()}
    return make_edition(stories, sections, next_edition_id(day, taken), now)


def since_start(window: str, now: datetime) -> datetime | None:
    """Where a `digest.since` / `--since` window starts; None for 'last-edition'."""
    if window == "last-edition":
        return None
    try:
        return window_start(window, now)
    except (ValueError, OverflowError) as exc:
        raise ConfigError(f"not a usable window: {exc}", field="--since") from None


@dataclass(frozen=True)
class PreparedEdition:
    """An edition rendered in memory, checked before anything of it is written."""

    edition: DigestEdition
    files: dict[str, bytes]  # index.html, digest.txt, sample.eml
    warnings: tuple[Problem, ...]
    site_title: str = ""

    @property
    def record_text(self) -> tuple[str, ...]:
        """The text from records and config that the files carry: whatever looks like a
        template placeholder in it is content, not a leftover."""
        texts = [self.site_title, *(block.name for block in self.edition.sections)]
        for story in self.edition.stories:
            texts += [story.title, story.summary, *story.authors]
            texts += [link.title for link in story.related]
        return tuple(text for text in texts if text)


def prepare_edition(
    config: LoadedConfig, renderer: DigestRenderer, edition: DigestEdition
) -> PreparedEdition:
    """The web copy, its text and a sample message of an edition."""
    web = renderer.render(edition, None, web=True)
    variant = renderer.render(edition, None)
    sample = build_message(variant, edition_headers(config, edition), sample_reader(config))
    files = {
        "index.html": web.html.encode("utf-8"),
        "digest.txt": web.text.encode("utf-8"),
        "sample.eml": sample,
    }
    return PreparedEdition(edition, files, tuple(unresolved_related(edition)), config.title)


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        _write(folder / name, content)


def write_archive(
    config: LoadedConfig, renderer: DigestRenderer, records: list[EditionRecord]
) -> None:
    """digests/index.html: every recorded edition, newest first."""
    site = digest_site(config)
    editions = [
        {
            "id": record.edition_id,
            "date_label": long_date(record.created_at, site.zone),
            "story_count": len(record.article_ids),
            "url": f"{record.edition_id}/",
            "preheader": "",
        }
        for record in records
    ]
    page = renderer.render_archive(editions)
    _write(config.paths.digests / "index.html", page.encode("utf-8"))


def plan_edition(
    config: LoadedConfig,
    articles: Sequence[Article],
    sections: tuple[str, ...],
    *,
    since: str | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> PreparedEdition | None:
    """The edition that is due, rendered in memory; None when nothing is new."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    with StateStore(config.paths.state_db) as store:
        edition = next_edition(
            config, articles, sections, store, since=since, force=force, now=moment
        )
    if edition is None:
        return None
    return prepare_edition(config, renderer_for(config), edition)


def commit_edition(config: LoadedConfig, prepared: PreparedEdition | None) -> EditionReport:
    """Write a checked edition's files and the archive page, then record the edition."""
    renderer = renderer_for(config)
    with StateStore(config.paths.state_db) as store:
        if prepared is None:
            write_archive(config, renderer, store.editions())
            return EditionReport(None, None)
        edition = prepared.edition
        folder = config.paths.digests / edition.edition_id
        write_files(folder, prepared.files)
        record = EditionRecord(
            edition.edition_id, edition.created_at, tuple(story.id for story in edition.stories)
        )
        # The archive page first: a template that fails leaves nothing recorded.
        write_archive(config, renderer, [record, *store.editions()])
        store.record_edition(record)
    return EditionReport(edition, folder, prepared.warnings)


def preview_edition(
    config: LoadedConfig,
    articles: Sequence[Article],
    sections: tuple[str, ...],
    *,
    since: str | None = None,
    now: datetime | None = None,
) -> EditionReport:
    """The edition that is due, written to digests/preview/ and recorded nowhere."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    notes: list[Problem] = []
    with StateStore(config.paths.state_db) as store:
        edition = next_edition(
            config, articles, sections, store, since=since, force=False, now=moment
        )
        if edition is None:
            notes.append(Problem("nothing new since the last edition: previewing the newest"))
            edition = next_edition(
                config, articles, sections, store, since=since, force=True, now=moment
            )
    assert edition is not None  # forced: the newest stories
    folder = config.paths.digests / PREVIEW_FOLDER
    prepared = prepare_edition(config, renderer_for(config), edition)
    write_files(folder, prepared.files)
    return EditionReport(edition, folder, tuple(notes) + prepared.warnings)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
