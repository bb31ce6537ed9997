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

from syndicate._store.store import EditionRecord, StateStore
from syndicate._util.templating import template_environment
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
from syndicate.digests.headers import header_text
from syndicate.digests.render import (
    RenderedVariant,
    edition_url,
    long_date,
    unresolved_related,
)
from syndicate.errors import ConfigError, Problem
from syndicate.mail.ledger import dump_variant, queue_sends, variant_key
from syndicate.mail.sender import EditionTally
from syndicate.mail.subscribers import Subscriber, SubscriberBook
from syndicate.site.records import Article

PREVIEW_FOLDER = "preview"


@dataclass(frozen=True)
class EditionReport:
    edition: DigestEdition | None
    folder: Path | None
    warnings: tuple[Problem, ...] = ()
    sends: PlannedSends | None = None

    def as_json(self, tally: EditionTally | None = None) -> dict[str, object] | None:
        """SPEC section 10's digest object; `tally`: how its sending went."""
        if self.edition is None:
            return None
        sent = tally.as_json() if tally is not None else {}
        return {
            "edition": self.edition.edition_id,
            "stories": len(self.edition.stories),
            "recipients": len(self.sends.sends) if self.sends else 0,
            "sent": sent.get("sent", 0),
            "failed": sent.get("failed", 0),
            "suppressed": self.sends.suppressed if self.sends else 0,
            "deferred": sent.get("deferred", 0),
            "skipped": sent.get("skipped", 0),
            "variants": len(self.sends.variants) if self.sends else 0,
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
class PlannedSends:
    """Who gets an edition, and in which variant (the sections they chose)."""

    variants: dict[str, RenderedVariant]  # by variant key
    sends: tuple[tuple[int, str], ...]  # (subscriber id, variant key)
    suppressed: int  # active subscribers whose address is suppressed
    headers: EditionHeaders

    def samples(self, config: LoadedConfig) -> dict[str, bytes]:
        """A sample message of each variant, for the checks before anything goes out."""
        reader = sample_reader(config)
        return {key: build_message(v, self.headers, reader) for key, v in self.variants.items()}


@dataclass(frozen=True)
class PreparedEdition:
    """An edition rendered in memory, checked before anything of it is written."""

    edition: DigestEdition
    files: dict[str, bytes]  # index.html, digest.txt, sample.eml
    warnings: tuple[Problem, ...]
    site_title: str = ""
    sends: PlannedSends | None = None

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
    config: LoadedConfig,
    renderer: DigestRenderer,
    edition: DigestEdition,
    subscribers: Sequence[Subscriber] | None = None,
    suppressed: frozenset[str] = frozenset(),
) -> PreparedEdition:
    """The web copy, its text and a sample message of an edition; with `subscribers`,
    the variant each of them gets (MJML compiled once per variant)."""
    web = renderer.render(edition, None, web=True)
    variant = renderer.render(edition, None)
    headers = edition_headers(config, edition)
    sample = build_message(variant, headers, sample_reader(config))
    files = {
        "index.html": web.html.encode("utf-8"),
        "digest.txt": web.text.encode("utf-8"),
        "sample.eml": sample,
    }
    sends = None
    if subscribers is not None:
        sends = plan_sends(renderer, edition, headers, variant, subscribers, suppressed)
    warnings = tuple(unresolved_related(edition))
    return PreparedEdition(edition, files, warnings, config.title, sends)


def plan_sends(
    renderer: DigestRenderer,
    edition: DigestEdition,
    headers: EditionHeaders,
    everything: RenderedVariant,
    subscribers: Sequence[Subscriber],
    suppressed: frozenset[str],
) -> PlannedSends:
    """Each active subscriber's variant: the edition's sections they chose (all, when
    they chose none); a subscriber whose sections have no story this time gets none."""
    in_edition = {block.name.casefold(): block.name for block in edition.sections}
    variants: dict[str, RenderedVariant] = {variant_key(None): everything}
    sends: list[tuple[int, str]] = []
    skipped = 0
    for subscriber in subscribers:
        if subscriber.status != "active":
            continue
        if subscriber.email in suppressed:
            skipped += 1
            continue
        chosen = {
            in_edition[s.casefold()] for s in subscriber.sections if s.casefold() in in_edition
        }
        if subscriber.sections and not chosen:
            continue
        sections = None if not subscriber.sections or len(chosen) == len(in_edition) else chosen
        key = variant_key(None if sections is None else frozenset(sections))
        if key not in variants:
            variants[key] = renderer.render(edition, frozenset(sections or ()))
        sends.append((subscriber.id, key))
    used = {key for _, key in sends}
    # The all-sections variant was rendered for the sample message; keep it only if sent.
    kept = {key: variant for key, variant in variants.items() if key in used}
    return PlannedSends(kept, tuple(sends), skipped, headers)


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
            "url": edition_url(site, record.edition_id),
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
    """The edition that is due, rendered in memory for the web and for each variant
    that subscribers will get; None when nothing is new."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    with StateStore(config.paths.state_db) as store:
        edition = next_edition(
            config, articles, sections, store, since=since, force=force, now=moment
        )
        book = SubscriberBook(store)
        subscribers, suppressed = book.all(), frozenset(book.suppressed())
    if edition is None:
        return None
    return prepare_edition(config, renderer_for(config), edition, subscribers, suppressed)


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
        plan = prepared.sends
        if plan is None:
            store.record_edition(record)
        else:
            rendered = {key: dump_variant(v, plan.headers) for key, v in plan.variants.items()}
            store.record_edition(
                record,
                then=lambda db: queue_sends(db, edition.edition_id, rendered, plan.sends),
            )
    return EditionReport(edition, folder, prepared.warnings, plan)


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
