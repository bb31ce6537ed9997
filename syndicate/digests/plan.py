"""Which digest edition is due, and who gets it in which variant: rendered in memory,
to be checked before anything of it is written (publish.py writes it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address

from syndicate._store.store import StateStore
from syndicate._store.subscribers import Subscriber
from syndicate.config import LoadedConfig
from syndicate.digests.edition import (
    DigestEdition,
    make_edition,
    next_edition_id,
    select_stories,
    since_start,
)
from syndicate.digests.headers import (
    EditionHeaders,
    Recipient,
    digest_address,
    header_text,
    list_id,
)
from syndicate.digests.messages import build_message
from syndicate.digests.render import (
    DigestRenderer,
    RenderedVariant,
    digest_site,
    long_date,
    renderer_for,
    unresolved_related,
)
from syndicate.digests.variants import variant_key
from syndicate.errors import Problem
from syndicate.site.records import Article


def edition_headers(config: LoadedConfig, edition: DigestEdition) -> EditionHeaders:
    site = digest_site(config)
    date_label = long_date(edition.created_at, site.zone)
    title = header_text(site.title)
    subject = config.settings.digest.subject.format(
        site=title, date=date_label, edition=edition.edition_id
    )
    sender = config.settings.digest.from_ or str(
        Address(display_name=title, addr_spec=digest_address(site.host))
    )
    # RFC 2919: a phrase, then the list's id in angle brackets; the phrase quoted.
    phrase = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return EditionHeaders(
        sender=sender,
        subject=header_text(subject),
        date=edition.created_at,
        list_id=f"{phrase} <{list_id(site.host)}>",
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
    history = store.editions.all()
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
    taken = {record.edition_id for record in history}
    return make_edition(stories, sections, next_edition_id(day, taken), now)


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
    with StateStore(config.store) as store:
        edition = next_edition(
            config, articles, sections, store, since=since, force=force, now=moment
        )
        book = store.subscribers
        subscribers, suppressed = book.all(), frozenset(book.suppressed())
    if edition is None:
        return None
    return prepare_edition(config, renderer_for(config), edition, subscribers, suppressed)
