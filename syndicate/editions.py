"""The library's face for digests: choose, render, write and record editions.

Wiring only, like pipeline.py: the digest stage does the work.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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
from syndicate.digests.messages import html_for, text_for
from syndicate.digests.render import edition_url, long_date, unresolved_related
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
    subject = config.settings.digest.subject.format(
        site=site.title, date=date_label, edition=edition.edition_id
    )
    return EditionHeaders(
        sender=config.settings.digest.from_ or f"{site.title} <digest@{site.host}>",
        subject=subject,
        date=edition.created_at,
        list_id=f"{site.title} <digest.{site.host}>",
        host=site.host,
        edition_id=edition.edition_id,
    )


def web_reader(config: LoadedConfig) -> Recipient:
    """Who the web copy of an edition is for: nobody in particular."""
    base = config.settings.site.base_url
    host = config.settings.site.host
    return Recipient("", "", f"{base}unsubscribe/", f"mailto:unsubscribe@{host}")


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
    window = since or config.settings.digest.since
    try:
        window_from = None if window == "last-edition" else window_start(window, now)
    except ValueError as exc:
        raise ConfigError(str(exc), field="--since") from None
    last = store.last_edition()
    stories = select_stories(
        articles,
        last_edition_at=None if last is None else last.created_at,
        window_from=window_from,
    )
    if not stories:
        if not force:
            return None
        # Forced with nothing new: the newest stories, never an empty digest.
        stories = select_stories(articles, last_edition_at=None, window_from=None)
    day = now.astimezone(config.settings.site.zone).date().isoformat()
    taken = {record.edition_id for record in store.editions()}
    return make_edition(stories, sections, next_edition_id(day, taken), now)


def write_edition(
    config: LoadedConfig,
    renderer: DigestRenderer,
    edition: DigestEdition,
    folder: Path,
) -> tuple[Problem, ...]:
    """index.html, digest.txt and sample.eml of an edition, into `folder`."""
    variant = renderer.render(edition, None)
    reader = web_reader(config)
    _write(folder / "index.html", html_for(variant, reader).encode("utf-8"))
    _write(folder / "digest.txt", text_for(variant, reader).encode("utf-8"))
    sample = build_message(variant, edition_headers(config, edition), sample_reader(config))
    _write(folder / "sample.eml", sample)
    return tuple(unresolved_related(edition))


def write_archive(config: LoadedConfig, renderer: DigestRenderer, store: StateStore) -> None:
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
        for record in store.editions()
    ]
    page = renderer.render_archive(editions)
    _write(config.paths.digests / "index.html", page.encode("utf-8"))


def publish_edition(
    config: LoadedConfig,
    articles: Sequence[Article],
    sections: tuple[str, ...],
    *,
    since: str | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> EditionReport:
    """Make the edition that is due, write its files and the archive, and record it."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    with StateStore(config.paths.state_db) as store:
        edition = next_edition(
            config, articles, sections, store, since=since, force=force, now=moment
        )
        if edition is None:
            return EditionReport(None, None)
        renderer = renderer_for(config)
        folder = config.paths.digests / edition.edition_id
        warnings = write_edition(config, renderer, edition, folder)
        store.record_edition(
            EditionRecord(
                edition.edition_id, edition.created_at, tuple(story.id for story in edition.stories)
            )
        )
        write_archive(config, renderer, store)
    return EditionReport(edition, folder, warnings)


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
    warnings = write_edition(config, renderer_for(config), edition, folder)
    return EditionReport(edition, folder, tuple(notes) + warnings)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def edition_web_url(config: LoadedConfig, edition_id: str) -> str:
    return edition_url(digest_site(config), edition_id)
