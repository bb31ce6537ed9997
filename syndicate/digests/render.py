"""Render an edition: Jinja2 makes MJML, mjml-python makes HTML, once per variant.

Per-subscriber values are not rendered here: the templates print placeholder
tokens that messages.py fills in for each subscriber.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from mjml import mjml2html

from syndicate._util.language import long_date, short_date, writing_direction
from syndicate._util.text import slugify
from syndicate._util.urls import is_web_url
from syndicate.config import LoadedConfig
from syndicate.digests.edition import DigestEdition
from syndicate.errors import DigestError, Problem
from syndicate.site.records import Article
from syndicate.site.sanitise import shorten

# Letters only: they pass through Jinja's escaping, MJML and URL handling unchanged.
GREETING_TOKEN = "SYNDICATEGREETINGSLOT"
UNSUBSCRIBE_TOKEN = "SYNDICATEUNSUBSCRIBESLOT"
TOKENS = (GREETING_TOKEN, UNSUBSCRIBE_TOKEN)


@dataclass(frozen=True, slots=True)
class DigestSite:
    title: str
    url: str
    host: str
    language: str
    zone: ZoneInfo
    postal_address: str = ""


@dataclass(frozen=True, slots=True)
class RenderedVariant:
    """One variant of an edition, compiled: HTML and text still holding the tokens."""

    sections: frozenset[str] | None
    html: str
    text: str
    preheader: str
    story_count: int
    # The greeting in the variant's language: with the subscriber's name, and without.
    greetings: tuple[str, str] = ("Hello %(name)s,", "Hello,")
    language: str | None = None  # None: the site's


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


def renderer_for(config: LoadedConfig, language: str | None = None) -> DigestRenderer:
    """The site's renderer, or (with `language`, one of site.languages) the renderer of
    the variants that subscribers who chose that language get."""
    site = digest_site(config)
    return DigestRenderer(
        site if language is None else replace(site, language=language),
        config.templates(autoescape=True, language=language),
        config.templates(autoescape=False, language=language),
        config.messages(language),
        variant_language=language,
    )


def edition_url(site: DigestSite, edition_id: str) -> str:
    return f"{site.url}digests/{edition_id}/"


@dataclass
class DigestRenderer:
    """Renders variants of editions; `compiles` counts the MJML compilations."""

    site: DigestSite
    html_templates: jinja2.Environment
    text_templates: jinja2.Environment
    messages: gettext.NullTranslations = field(default_factory=gettext.NullTranslations)
    compiles: int = field(default=0)
    variant_language: str | None = None  # what its variants say they are in (None: the site's)

    def render(
        self, edition: DigestEdition, sections: frozenset[str] | None, *, web: bool = False
    ) -> RenderedVariant:
        """A variant for subscribers of `sections` (None: all), holding the tokens; or,
        with `web`, the public web copy: no greeting, nothing to unsubscribe from."""
        variant = edition.for_sections(sections)
        context = self._context(variant)
        if web:
            context["subscriber"] = {"greeting": "", "unsubscribe_url": ""}
        try:
            mjml = self.html_templates.get_template("digest/digest.mjml.j2").render(context)
            text = self.text_templates.get_template("digest/digest.txt.j2").render(context)
        except jinja2.TemplateError as exc:
            raise DigestError(f"template error: {exc}", file=_template_name(exc)) from None
        try:
            html = mjml2html(mjml)
        except Exception as exc:  # mjml-python raises its own Rust-side error types
            raise DigestError(f"MJML does not compile: {exc}", file="digest.mjml.j2") from None
        self.compiles += 1
        return RenderedVariant(
            sections=sections,
            html=html.strip(),
            text=short_lines(text),
            preheader=context["edition"]["preheader"],
            story_count=len(variant.stories),
            greetings=self._greetings(),
            language=self.variant_language,
        )

    def _greetings(self) -> tuple[str, str]:
        """The catalogue's greetings: the one to fill with a name, and the one without
        (already formatted: '%%' is '%'). Every catalogue was checked on loading to take
        exactly the values its English does."""
        named, plain = self.messages.gettext("Hello %(name)s,"), self.messages.gettext("Hello,")
        return named, plain % {}

    def render_archive(self, editions: list[dict[str, Any]]) -> str:
        try:
            template = self.html_templates.get_template("digest/archive.html.j2")
            return template.render(site=self._site_context(), editions=editions)
        except jinja2.TemplateError as exc:
            raise DigestError(f"template error: {exc}", file=_template_name(exc)) from None

    def _site_context(self) -> dict[str, Any]:
        site = self.site
        return {
            "title": site.title,
            "url": site.url,
            "host": site.host,
            "language": site.language,
            "postal_address": site.postal_address,
            **writing_direction(site.language),
        }

    def _context(self, edition: DigestEdition) -> dict[str, Any]:
        stories = edition.stories
        return {
            "site": self._site_context(),
            "edition": {
                "id": edition.edition_id,
                "date_label": long_date(edition.created_at, self.site.zone, self.site.language),
                "web_url": edition_url(self.site, edition.edition_id),
                "archive_url": f"{self.site.url}digests/",
                "preheader": preheader(stories, self.messages),
                "story_count": len(stories),
            },
            "sections": [
                {
                    "name": _no_tokens(block.name),
                    "url": f"{self.site.url}{quote(slugify(block.name) or 'section')}/",
                    "stories": [self._story(story) for story in block.stories],
                }
                for block in edition.sections
            ],
            "subscriber": {"greeting": GREETING_TOKEN, "unsubscribe_url": UNSUBSCRIBE_TOKEN},
            "unsubscribe_url": UNSUBSCRIBE_TOKEN,
        }

    def _story(self, story: Article) -> dict[str, Any]:
        return {
            "title": _no_tokens(story.title),
            "url": story.url,
            "summary": _no_tokens(story.summary),
            "authors": [_no_tokens(name) for name in story.authors],
            "date_label": short_date(story.published, self.site.zone, self.site.language),
            # A story in another language than the edition's is marked so, in its own
            # direction (an English story in an Arabic edition runs left to right).
            "language": story.language,
            "direction": writing_direction(story.language)["direction"],
            "image": None
            if story.image is None
            else {"url": story.image.url, "alt": story.image.alt},
            # Unresolved related posts stay out of the email (a warning says so).
            "related": [
                {"title": _no_tokens(r.title), "url": r.url}
                for r in story.related
                if is_web_url(r.url)
            ],
        }


MAX_TEXT_LINE = 900  # RFC 5322 allows 998 bytes a line; room is left for filled values


def short_lines(text: str) -> str:
    """The text with every line cut to fit an 8bit mail part, at a space where one is
    near; a record's 1,000-character headline would otherwise break the message."""
    lines = []
    for line in text.split("\n"):
        while len(line.encode("utf-8")) > MAX_TEXT_LINE:
            cut = line.rfind(" ", 0, MAX_TEXT_LINE // 4)  # utf-8: up to 4 bytes a character
            cut = cut if cut > 0 else MAX_TEXT_LINE // 4
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        lines.append(line)
    return "\n".join(lines)


def _no_tokens(text: str) -> str:
    """Record text cannot carry a slot token: it would be filled per subscriber."""
    for token in TOKENS:
        text = text.replace(token, "")
    return text


def preheader(stories: tuple[Article, ...], messages: gettext.NullTranslations) -> str:
    """The line an inbox shows beside the subject: the count, then the first titles."""
    if not stories:
        return ""
    count = messages.ngettext("%(num)d story", "%(num)d stories", len(stories))
    counted = count % {"num": len(stories)}  # catalogues are checked on loading
    titles = "; ".join(_no_tokens(story.title) for story in stories[:3])
    return shorten(f"{counted}: {titles}", 140)


def unresolved_related(edition: DigestEdition) -> list[Problem]:
    """A warning per related post that an edition leaves out for a link that is not a
    web link. (One that matches no article was reported when the records loaded.)"""
    return [
        Problem(
            f"related post {link.title!r} of {story.title!r} is left out of the digest: "
            f"not a web link: {link.url!r}",
            file=story.source.file,
            field="related",
        )
        for story in edition.stories
        for link in story.related
        if link.url and not is_web_url(link.url)
    ]


def _template_name(exc: jinja2.TemplateError) -> str | None:
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    return str(name) if name else None
