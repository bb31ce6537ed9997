"""Which digest edition is due, and who gets it in which variant: rendered in memory,
to be checked before anything of it is written (publish.py writes it)."""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address

from syndicate._store.store import StateStore
from syndicate._store.subscribers import Subscription
from syndicate._util.language import long_date, matching_language
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
    renderer_for,
    unresolved_related,
)
from syndicate.digests.variants import variant_key
from syndicate.errors import Problem
from syndicate.settings import DEFAULT_SUBJECT
from syndicate.site.records import Article


def edition_headers(
    config: LoadedConfig, edition: DigestEdition, language: str | None = None
) -> EditionHeaders:
    """The headers of an edition's messages in `language` (by default the site's)."""
    site = digest_site(config)
    spoken = language or site.language
    date_label = long_date(edition.created_at, site.zone, spoken)
    title = header_text(site.title)
    subject = digest_subject(config, title, date_label, edition.edition_id, language)
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


def digest_subject(
    config: LoadedConfig, title: str, date_label: str, edition_id: str, language: str | None
) -> str:
    """digest.subject filled in; the default one in `language` (a site that sets its
    own subject has written it in its own words)."""
    template = config.settings.digest.subject
    # The default's English, even written out in syndicate.toml (SPEC's example has
    # it), is the default: each reader gets it in their language.
    if template == DEFAULT_SUBJECT:  # catalogues are checked on loading: it formats
        translated = config.messages(language).gettext("%(site)s digest: %(date)s")
        return translated % {"site": title, "date": date_label}
    return template.format(site=title, date=date_label, edition=edition_id)


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


class Sends:
    """Each recipient's (subscriber id, variant key), kept as an array of ids per key:
    8 bytes a recipient, so that a million of them fit in a few megabytes."""

    def __init__(self) -> None:
        self._ids: dict[str, array[int]] = {}

    def add(self, subscriber_id: int, key: str) -> None:
        ids = self._ids.get(key)
        if ids is None:
            ids = self._ids[key] = array("q")
        ids.append(subscriber_id)

    def keys(self) -> set[str]:
        return set(self._ids)

    def __len__(self) -> int:
        return sum(len(ids) for ids in self._ids.values())

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for key, ids in self._ids.items():
            for subscriber_id in ids:
                yield subscriber_id, key


@dataclass(frozen=True)
class PlannedSends:
    """Who gets an edition, and in which variant (the sections they chose, in the
    language they chose)."""

    variants: dict[str, RenderedVariant]  # by variant key
    sends: Sends
    suppressed: int  # active subscribers whose address is suppressed
    headers: EditionHeaders  # in the site's language
    headers_in: dict[str, EditionHeaders] = field(default_factory=dict)  # other languages

    def headers_of(self, variant: RenderedVariant) -> EditionHeaders:
        return self.headers if variant.language is None else self.headers_in[variant.language]

    def samples(self, config: LoadedConfig) -> dict[str, bytes]:
        """A sample message of each variant, for the checks before anything goes out."""
        reader = sample_reader(config)
        return {
            key: build_message(v, self.headers_of(v), reader) for key, v in self.variants.items()
        }


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
    subscriptions: Iterable[Subscription] | None = None,
    suppressed: int = 0,
) -> PreparedEdition:
    """The web copy, its text and a sample message of an edition; with `subscriptions`
    (each active subscriber's whose address is not suppressed: `suppressed` of them
    are), the variant each of them gets (MJML compiled once per variant)."""
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
    warnings = unresolved_related(edition)
    if subscriptions is not None:
        languages = EditionLanguages(config, edition, renderer, headers)
        sends = plan_sends(languages, edition, variant, subscriptions, suppressed)
        warnings += languages.warnings()
    return PreparedEdition(edition, files, tuple(warnings), config.title, sends)


class EditionLanguages:
    """An edition's renderer and headers in each language that its subscribers read,
    each made the first time a subscriber needs it (None: the site's language)."""

    def __init__(
        self,
        config: LoadedConfig,
        edition: DigestEdition,
        renderer: DigestRenderer,
        headers: EditionHeaders,
    ) -> None:
        self.config = config
        self.edition = edition
        self.offered = config.settings.site.offered_languages
        self.renderers: dict[str | None, DigestRenderer] = {None: renderer}
        self.site_headers = headers
        self.headers: dict[str, EditionHeaders] = {}
        # A stored language: the one it gets (None: the site's), and whether the site
        # still offers it.
        self.resolved: dict[str, tuple[str | None, bool]] = {"": (None, True)}
        self.unoffered: Counter[str] = Counter()  # subscribers' languages no longer offered

    def of(self, stored: str) -> str | None:
        """The language a subscriber's stored choice gets: one of the site's others,
        or None (the site's own: their choice, none, or one no longer offered)."""
        if stored not in self.resolved:
            found = matching_language(stored, self.offered)
            language = None if found in (None, self.offered[0]) else found
            self.resolved[stored] = (language, found is not None)
        language, offered = self.resolved[stored]
        if not offered:
            self.unoffered[stored] += 1
        return language

    def renderer(self, language: str | None) -> DigestRenderer:
        if language not in self.renderers:
            self.renderers[language] = renderer_for(self.config, language)
            if language is not None:
                self.headers[language] = edition_headers(self.config, self.edition, language)
        return self.renderers[language]

    def warnings(self) -> list[Problem]:
        own = self.offered[0]
        return [
            Problem(
                f"{count} subscriber{'s' if count > 1 else ''} chose {language!r}, which "
                f"site.languages does not list: they get the digest in {own!r}",
                field="site.languages",
            )
            for language, count in sorted(self.unoffered.items())
        ]


def plan_sends(
    languages: EditionLanguages,
    edition: DigestEdition,
    everything: RenderedVariant,
    subscriptions: Iterable[Subscription],
    suppressed: int,
) -> PlannedSends:
    """Each subscriber's variant: the edition's sections they chose (all, when they
    chose none) in their language; a subscriber whose sections have no story this time
    gets none. Read as a stream: memory holds the variants and an id per recipient,
    not subscribers."""
    in_edition = {block.name.casefold(): block.name for block in edition.sections}
    variants: dict[str, RenderedVariant] = {variant_key(None): everything}
    # By the sections and language as stored: few distinct ones.
    keys: dict[tuple[str, str | None], str | None] = {}
    sends = Sends()
    for subscriber_id, stored, stored_language in subscriptions:
        choice = (stored, languages.of(stored_language))
        if choice not in keys:
            keys[choice] = _variant_of(languages, edition, in_edition, choice, variants)
        key = keys[choice]
        if key is not None:
            sends.add(subscriber_id, key)
    used = sends.keys()
    # The all-sections variant was rendered for the sample message; keep it only if sent.
    kept = {key: variant for key, variant in variants.items() if key in used}
    return PlannedSends(kept, sends, suppressed, languages.site_headers, languages.headers)


def _variant_of(
    languages: EditionLanguages,
    edition: DigestEdition,
    in_edition: dict[str, str],
    choice: tuple[str, str | None],
    variants: dict[str, RenderedVariant],
) -> str | None:
    """The variant key for a subscriber's sections (as stored: JSON) and language,
    rendering the variant the first time it is needed; None: none of their sections
    is in it."""
    stored, language = choice
    chosen_sections = tuple(json.loads(stored))
    chosen = {in_edition[s.casefold()] for s in chosen_sections if s.casefold() in in_edition}
    if chosen_sections and not chosen:
        return None
    sections = None if not chosen_sections or len(chosen) == len(in_edition) else chosen
    key = variant_key(None if sections is None else frozenset(sections), language)
    if key not in variants:
        renderer = languages.renderer(language)
        variants[key] = renderer.render(edition, None if sections is None else frozenset(sections))
    return key


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
        if edition is None:
            return None
        book = store.subscribers
        return prepare_edition(
            config,
            renderer_for(config),
            edition,
            book.subscriptions(),
            book.suppressed_active(),
        )
