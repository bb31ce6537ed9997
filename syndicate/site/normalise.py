"""Normalise: raw records into complete `Article` values with stable identity.

Ids, URLs, slugs, sections, dates, sanitised bodies and plain-text fields are
settled here, so that every later stage can trust them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo

from syndicate._store.identities import Identities, Identity
from syndicate._util.language import language_tag
from syndicate._util.text import one_line, slugify
from syndicate._util.urls import encode_url, is_web_url
from syndicate.errors import Problem, RecordError
from syndicate.settings import SiteSettings
from syndicate.site.records import Article, Image, RawArticle
from syndicate.site.related import EarlierLinks, resolve_related
from syndicate.site.sanitise import first_paragraph_text, sanitise_html, shorten

_HOSTNAME = re.compile(
    r"(?=.{1,253}$)[^\W_](?:[\w-]{0,62}[^\W_])?(?:\.[^\W_](?:[\w-]{0,62}[^\W_])?)*"
)


@dataclass
class NormaliseResult:
    articles: list[Article] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


# (where a record came from, its id, slug, first sight and section): all that an
# article is made from besides the settings, which a Drafts is only used with.
DraftKey = tuple[Hashable, str, str, datetime, str]


@dataclass
class Drafts:
    """Articles the last run made from the same records, to be taken again: making
    one costs more than looking it up. `origins` gives the place of each record that
    is known to be as it was (its file, the file's stamp, its place in the file),
    by the record's `id()`; records without one are made anew.

    Taken articles keep their related posts where nothing those were found from
    changed: `earlier_made` is the last run's articles in the order made, and
    `earlier_notes` the warnings their references gave (see site/related.py). A run
    leaves its own in `made_order` and `related_notes`, for the next."""

    origins: Mapping[int, Hashable]
    previous: Mapping[DraftKey, tuple[Article, tuple[Problem, ...]]]
    earlier_made: Sequence[Article] = ()
    earlier_notes: Mapping[str, tuple[Problem, ...]] = field(default_factory=dict)
    made: dict[DraftKey, tuple[Article, tuple[Problem, ...]]] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)  # the ids of the articles taken
    made_order: list[str] = field(default_factory=list)
    related_notes: dict[str, tuple[Problem, ...]] = field(default_factory=dict)

    def earlier_links(self) -> EarlierLinks | None:
        if not self.earlier_made or not self.taken:
            return None
        return EarlierLinks(self.earlier_made, self.earlier_notes, self.taken)


def normalise(
    records: Sequence[RawArticle],
    site: SiteSettings,
    identities: Identities,
    drafts: Drafts | None = None,
) -> NormaliseResult:
    """Turn loaded records into articles; a bad record is an error, the others go on.

    `identities` gives each id its first-seen time (the date of records that have
    none) and its slug, recording those of ids it has not seen before.
    """
    result = NormaliseResult()
    unique = _unique_ids(records, result.errors)
    known = identities([(article_id, _wanted_slug(raw, article_id)) for article_id, raw in unique])
    sections = _SectionMap(site, [raw for _, raw in unique], result.warnings)
    made: list[tuple[Article, RawArticle]] = []
    for article_id, raw in unique:
        identity = known[article_id]
        try:
            if drafts is not None and id(raw) in drafts.origins:
                article = _drafted(raw, article_id, identity, site, sections, result, drafts)
            else:
                article = _article(
                    raw,
                    article_id,
                    identity.slug,
                    identity.first_seen,
                    site,
                    sections,
                    result.warnings,
                )
        except RecordError as exc:
            result.errors.append(exc.problem)
            continue
        made.append((article, raw))
    _warn_duplicate_urls([a for a, _ in made], result.warnings)
    # An article taken from `drafts` has the related posts of its last run: kept where
    # nothing they were found from changed, else found again from the record.
    earlier = drafts.earlier_links() if drafts is not None else None
    resolved = resolve_related(made, result.warnings, earlier)
    if drafts is not None:
        drafts.made_order = [article.id for article in resolved.articles]
        drafts.related_notes = resolved.notes
    result.articles = resolved.articles
    result.articles.sort(key=lambda a: (a.published, a.id), reverse=True)
    result.sections = sections.order([a.section for a in result.articles])
    return result


def _drafted(
    raw: RawArticle,
    article_id: str,
    identity: Identity,
    site: SiteSettings,
    sections: _SectionMap,
    result: NormaliseResult,
    drafts: Drafts,
) -> Article:
    section = sections.section_of(raw)
    key = (drafts.origins[id(raw)], article_id, identity.slug, identity.first_seen, section)
    found = drafts.previous.get(key)
    if found is not None:
        drafts.taken.add(article_id)
    else:
        notes: list[Problem] = []
        article = _article(
            raw, article_id, identity.slug, identity.first_seen, site, sections, notes
        )
        found = (article, tuple(notes))
    drafts.made[key] = found
    result.warnings.extend(found[1])
    return found[0]


def _unique_ids(
    records: Sequence[RawArticle], errors: list[Problem]
) -> list[tuple[str, RawArticle]]:
    first_by_id: dict[str, RawArticle] = {}
    unique: list[tuple[str, RawArticle]] = []
    for raw in records:
        article_id = one_line(raw.id or raw.fallback_id)
        if not article_id:
            errors.append(
                Problem(
                    "no id, url or usable file name",
                    file=raw.source.file,
                    line=raw.source.line,
                    field="id",
                )
            )
            continue
        earlier = first_by_id.get(article_id)
        if earlier is not None:
            errors.append(
                problem_at(
                    raw,
                    "id",
                    f"duplicate id {article_id!r}: also in {earlier.source} (that one is kept)",
                )
            )
            continue
        first_by_id[article_id] = raw
        unique.append((article_id, raw))
    return unique


def problem_at(raw: RawArticle, field: str, message: str) -> Problem:
    """A problem located at `field` of the record `raw`."""
    return Problem(message, file=raw.source.file, line=raw.line_of(field), field=field)


def _wanted_slug(raw: RawArticle, article_id: str) -> str:
    return slugify(raw.title) or slugify(article_id) or "article"


class _SectionMap:
    """Section names in records mapped onto the configured ones, and their order."""

    def __init__(self, site: SiteSettings, records: Sequence[RawArticle], warnings: list[Problem]):
        self.configured = list(site.sections)
        self._by_key = {name.casefold(): name for name in self.configured}
        for alias, target in site.section_aliases.items():
            self._by_key[alias.casefold()] = self._by_key.get(target.casefold(), target)
        self._warnings = warnings
        self._warned: set[str] = set()

    def section_of(self, raw: RawArticle) -> str:
        name = one_line(raw.section or "")
        if not name:
            # articles/<folder>/...: the folder names the section.
            name = raw.folder.replace("-", " ").replace("_", " ").title()
        if not name:
            raise RecordError(
                "no section, and the file is not in a section folder",
                file=raw.source.file,
                line=raw.source.line,
                field="section",
            )
        key = name.casefold()
        if key not in self._by_key:
            self._by_key[key] = name
            if self.configured and key not in self._warned:
                self._warned.add(key)
                self._warnings.append(
                    problem_at(
                        raw,
                        "section",
                        f"section {name!r} is not in site.sections; it comes after them",
                    )
                )
        return self._by_key[key]

    def order(self, found: Sequence[str]) -> list[str]:
        """Configured sections first, in their order; then the rest, World first, A-Z."""
        extra = sorted(
            set(found) - set(self.configured), key=lambda s: (s.casefold() != "world", s.casefold())
        )
        return self.configured + extra


def _article(
    raw: RawArticle,
    article_id: str,
    slug: str,
    seen: datetime,
    site: SiteSettings,
    sections: _SectionMap,
    warnings: list[Problem],
) -> Article:
    def fail(name: str, message: str) -> RecordError:
        return RecordError(message, file=raw.source.file, line=raw.line_of(name), field=name)

    title = one_line(raw.title)
    if not title:
        raise fail("title", "empty once control characters and spaces are removed")
    section = sections.section_of(raw)
    zone = site.zone
    published = _utc(raw.published, zone, fail, "published") if raw.published else seen
    updated = _utc(raw.updated, zone, fail, "updated") if raw.updated else published
    if updated < published:
        warnings.append(problem_at(raw, "updated", "updated is before published; using published"))
        updated = published
    site_name = _site_name(raw, site.host, warnings)
    url = _article_url(raw, article_id, slug, section, site_name, published, site, fail)
    if not url.startswith(site.base_url):
        warnings.append(
            problem_at(raw, "url", f"URL is outside site.base_url ({site.base_url}): {url}")
        )
    body = sanitise_html(raw.body, url) if raw.body.strip() else ""
    summary = one_line(raw.summary or "")
    if not summary and body:
        summary = shorten(first_paragraph_text(body))
    if not body and not summary:
        warnings.append(
            Problem(
                "no body and no summary", file=raw.source.file, line=raw.source.line, field="body"
            )
        )
    return Article(
        id=article_id,
        title=title,
        url=url,
        slug=slug,
        section=section,
        site=site_name,
        published=published,
        updated=updated,
        authors=tuple(dict.fromkeys(a for a in map(one_line, raw.authors) if a)),
        summary=summary,
        body=body,
        image=_image(raw, url, title, fail, warnings),
        tags=_tags(raw.tags),
        related=(),
        source=raw.source,
        first_seen=seen,
        language=_language(raw, site.language, warnings),
    )


def _language(raw: RawArticle, default: str, warnings: list[Problem]) -> str:
    """The record's language where CLDR knows it; else the site's, with a warning."""
    written = one_line(raw.language or "")
    if not written:
        return default
    try:
        language_tag(written)
    except ValueError as exc:
        warnings.append(problem_at(raw, "language", f"{exc}; using the site's ({default})"))
        return default
    return written


def _utc(
    moment: datetime, zone: ZoneInfo, fail: Callable[[str, str], RecordError], name: str
) -> datetime:
    """In UTC: a date without an offset is read in the site's zone. Feeds, digests and
    `articles --json` all show UTC, which every format can carry."""
    aware = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    try:
        converted = aware.astimezone(UTC)
    except (OverflowError, ValueError):
        raise fail(name, f"out of range: {moment.isoformat()}") from None
    if not 1900 <= converted.year <= 9998:
        raise fail(name, f"not a plausible date: {moment.isoformat()}")
    return converted


def _article_url(
    raw: RawArticle,
    article_id: str,
    slug: str,
    section: str,
    site_name: str,
    published: datetime,
    site: SiteSettings,
    fail: Callable[[str, str], RecordError],
) -> str:
    if raw.url:
        return absolute_url(site.base_url, raw.url, "url", fail)
    url = site.url_pattern.format(
        base_url=site.base_url,
        site=site_name,
        section=slugify(section) or "news",
        slug=slug,
        id=quote(article_id, safe="/"),
        year=f"{published.year:04d}",
        month=f"{published.month:02d}",
        day=f"{published.day:02d}",
    )
    return encode_url(url)


def _image(
    raw: RawArticle,
    url: str,
    title: str,
    fail: Callable[[str, str], RecordError],
    warnings: list[Problem],
) -> Image | None:
    if not raw.image_url:
        return None
    image_url = absolute_url(url, raw.image_url, "image", fail)
    alt = one_line(raw.image_alt or "")
    if not alt:
        warnings.append(
            problem_at(raw, "image", "image has no alt text; the title stands in for it")
        )
        alt = title
    return Image(url=image_url, alt=alt)


def absolute_url(base: str, value: str, name: str, fail: Callable[[str, str], RecordError]) -> str:
    """`value` made absolute against `base` and percent-encoded; only http(s) with a host."""
    try:
        url = urljoin(base, one_line(value))
    except ValueError as exc:  # a malformed IPv6 host, say
        raise fail(name, f"{exc}: {value!r}") from None
    if not is_web_url(url):
        raise fail(name, f"not an http(s) URL with a host: {value!r}")
    return encode_url(url)


def _site_name(raw: RawArticle, default: str, warnings: list[Problem]) -> str:
    name = one_line(raw.site or "")
    if name and not _HOSTNAME.fullmatch(name):
        warnings.append(
            problem_at(raw, "site", f"not a site domain, {default!r} used instead: {name!r}")
        )
        return default
    return name.lower() or default


def _tags(tags: Sequence[str]) -> tuple[str, ...]:
    kept: dict[str, str] = {}
    for tag in map(one_line, tags):
        if tag and tag.casefold() not in kept:
            kept[tag.casefold()] = tag
    return tuple(kept.values())


def _warn_duplicate_urls(articles: Sequence[Article], warnings: list[Problem]) -> None:
    owner: dict[str, Article] = {}
    for article in articles:
        other = owner.setdefault(article.url, article)
        if other is not article:
            warnings.append(
                Problem(
                    f"same URL as {other.source}: {article.url}",
                    file=article.source.file,
                    line=article.source.line,
                    field="url",
                )
            )
