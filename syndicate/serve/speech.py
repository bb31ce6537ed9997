"""The languages `serve` speaks: each of the site's (site.language, then site.languages),
its pages, its mail and its notices; a request is answered in the one its browser
prefers (Accept-Language), else the site's own."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from typing import Any

import jinja2
from starlette.requests import Request

from syndicate._util.language import preferred_language, site_locale, writing_direction
from syndicate.config import LoadedConfig


@dataclass(frozen=True)
class Speech:
    """Pages, mail text and notices in one language; made at start-up (a catalogue
    broken while `serve` runs changes nothing until it restarts)."""

    language: str
    pages: jinja2.Environment  # HTML, escaped
    texts: jinja2.Environment  # mail text
    messages: gettext.NullTranslations

    @property
    def name(self) -> str:
        """The language's name in itself, as a menu shows it: 'Deutsch', 'Ελληνικά'."""
        locale = site_locale(self.language)
        own = locale.get_display_name(locale) or self.language
        return own[:1].upper() + own[1:]

    def context(self) -> dict[str, Any]:
        return {"language": self.language, **writing_direction(self.language)}


def speeches_for(config: LoadedConfig) -> dict[str, Speech]:
    """A Speech for each language the site offers, the site's own first."""
    return {
        language: Speech(
            language,
            config.templates(autoescape=True, language=language),
            config.templates(autoescape=False, language=language),
            config.messages(language),
        )
        for language in config.settings.site.offered_languages
    }


def speech_of(speeches: dict[str, Speech], request: Request) -> Speech:
    """The language a request is answered in: its browser's preference among the
    site's, else the site's own (the first)."""
    offered = list(speeches)
    wanted = preferred_language(request.headers.get("accept-language", ""), offered)
    return speeches[wanted or offered[0]]
