"""The site's language: its CLDR locale, its direction, its message catalogue, and the
dates and counts it writes.

Catalogues are gettext `.po` files, `locale/<language>/LC_MESSAGES/syndicate.po`: ours
ship in the wheel compiled (`.mo`, by the build hook); a source checkout compiles the
`.po` when first asked. A site's own `locale/` folder overrides ours string by string.
"""

from __future__ import annotations

import difflib
import gettext
import io
import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date
from babel.localedata import locale_identifiers
from babel.messages.catalog import Message
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import PoFileError, read_po

DOMAIN = "syndicate"
_PACKAGE = Path(__file__).resolve().parent.parent  # syndicate/
_PACKAGED = _PACKAGE / "locale"
_CHECKOUT = _PACKAGE.parent / "locale"


class CatalogueError(ValueError):
    """A site's .po file that cannot be read: the file, the line, why."""

    def __init__(self, message: str, file: Path, line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


def default_locale_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


def shipped_languages() -> frozenset[str]:
    """The languages we ship a catalogue for (English is the source language)."""
    folder = default_locale_dir()
    found = {p.parent.parent.name for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.[mp]o")}
    return frozenset(found | {"en"})


def untranslated(language: str, site_locale_dir: Path) -> list[str]:
    """The strings in use (our .pot) that the site's own catalogue for `language`
    leaves untranslated, where we ship none for it: each falls back to English."""
    if _catalogue_in(default_locale_dir(), language) is not None:
        return []  # ours is complete (tested); the site's only overrides it
    site_catalogue = next(
        (
            path
            for name in _candidates(language)
            if (path := site_locale_dir / name / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
        ),
        None,
    )
    template = default_locale_dir() / f"{DOMAIN}.pot"
    if site_catalogue is None or not template.is_file():
        return []
    with template.open("rb") as f:
        wanted = {_key(m.id) for m in read_po(f) if m.id}
    data = _compiled(site_catalogue, site_catalogue.stat().st_mtime_ns)
    messages = gettext.GNUTranslations(io.BytesIO(data))
    return sorted(key for key in wanted if messages.gettext(key) == key)


def _key(identifier: str | tuple[str, ...] | list[str]) -> str:
    """A message's id; a plural's is its singular."""
    return identifier if isinstance(identifier, str) else identifier[0]


@cache
def site_locale(tag: str) -> Locale:
    """The CLDR locale of a language tag ('de', 'pt-BR', 'zh-Hans'); ValueError naming
    close matches when CLDR does not know it."""
    locale = _known_locale(tag)
    if locale is not None:
        return locale
    known = sorted({identifier.replace("_", "-") for identifier in locale_identifiers()})
    close = difflib.get_close_matches(tag, known, n=4, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise ValueError(f"{tag!r} is not a language that CLDR knows{hint}")


@lru_cache(maxsize=512)  # tags come from readers' browsers too: bounded
def _known_locale(tag: str) -> Locale | None:
    """The CLDR locale of a tag, or None; quick (no close matches), for tags that
    readers' browsers send."""
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        return None


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def language_tag(value: str) -> str:
    """`value` where it is a language tag CLDR knows ('de', 'pt-BR'); ValueError saying
    why not, with close matches (CLDR also knows 'root', which is no language)."""
    if not _LANGUAGE_TAG.fullmatch(value):
        raise ValueError(f"not a language tag such as 'de' or 'pt-BR': {value!r}")
    site_locale(value)  # its dates, plurals and direction come from CLDR
    return value


def is_right_to_left(locale: Locale) -> bool:
    return locale.character_order == "right-to-left"


def writing_direction(language: str) -> dict[str, str]:
    """What templates need to lay a page out in the language's direction: `direction`
    (the dir attribute), `start` and `end` (the sides a line begins and ends on: an
    accent border and list bullets go on the start side)."""
    if is_right_to_left(site_locale(language)):
        return {"direction": "rtl", "start": "right", "end": "left"}
    return {"direction": "ltr", "start": "left", "end": "right"}


def catalogue(language: str, site_locale_dir: Path | None = None) -> gettext.NullTranslations:
    """The messages for `language`: the site's catalogue first, then ours, then the
    English of the templates themselves. A language without a catalogue is English."""
    translations: gettext.NullTranslations = gettext.NullTranslations()
    for folder in (default_locale_dir(), site_locale_dir):
        if folder is None:
            continue
        found = _catalogue_in(folder, language)
        if found is not None:
            found.add_fallback(translations)
            translations = found
    return translations


def _catalogue_in(folder: Path, language: str) -> gettext.GNUTranslations | None:
    """A fresh translations object (callers chain it to others: a shared one would be
    chained again at each call) from the compiled bytes, which are cached."""
    for name in _candidates(language):
        messages = folder / name / "LC_MESSAGES"
        compiled, source = messages / f"{DOMAIN}.mo", messages / f"{DOMAIN}.po"
        found = compiled if compiled.is_file() else source if source.is_file() else None
        if found is None:
            continue
        data = _compiled(found, found.stat().st_mtime_ns)
        try:
            return gettext.GNUTranslations(io.BytesIO(data))
        except (OSError, ValueError, LookupError) as exc:  # a bad .mo, charset, plural
            raise CatalogueError(f"not a gettext catalogue: {exc}", found) from None
    return None


def _candidates(language: str) -> list[str]:
    """'pt-BR' looks for pt_BR, then pt; 'zh-hans' for zh_Hans, as CLDR writes it."""
    parts = language.replace("-", "_").split("_")
    written = [parts[0].lower(), *(p.upper() if len(p) == 2 else p.title() for p in parts[1:])]
    return ["_".join(written[:n]) for n in range(len(written), 0, -1)]


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_MAX_CATALOGUE = 4 * 1024 * 1024  # bytes: ours are 5 KB


@cache
def _compiled(source: Path, _mtime: int) -> bytes:
    """A catalogue's .mo bytes: a .mo as it is, a .po compiled, once each is checked:
    every translation takes the values its English does, and nothing else."""
    try:
        if source.stat().st_size > _MAX_CATALOGUE:
            raise CatalogueError(f"larger than {_MAX_CATALOGUE // 1024 // 1024} MB", source)
        with source.open("rb") as f:
            parsed = read_mo(f) if source.suffix == ".mo" else read_po(f, abort_invalid=True)
    except PoFileError as exc:
        line = getattr(exc, "lineno", None)  # Babel counts from 0
        why = str(exc).split(" on ", 1)[0]
        raise CatalogueError(
            f"not a gettext catalogue: {why}", source, None if line is None else line + 1
        ) from None
    except (OSError, UnicodeDecodeError, ValueError, LookupError) as exc:
        raise CatalogueError(f"cannot read it: {exc}", source) from None
    for entry in parsed:
        if entry.id and entry.string:
            _check_format(entry, source)
    buffer = io.BytesIO()
    write_mo(buffer, parsed)
    return buffer.getvalue()


def _check_format(message: Message, source: Path) -> None:
    """A translation that would break where it lands: values it does not take, a bare
    '%', a line break (a greeting stands on one line)."""
    english = message.id if isinstance(message.id, str) else message.id[0]
    wanted = set(_PLACEHOLDER.findall(english))
    strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
    for string in strings:
        problem = None
        if not string:
            continue
        if set(_PLACEHOLDER.findall(string)) != wanted:
            problem = f"takes the values {sorted(wanted)}, as its English does"
        elif _PLACEHOLDER.sub("", string).replace("%%", "").count("%"):
            problem = "has a '%' that is no value (write %% for a percent sign)"
        elif any(ord(c) < 32 for c in string):
            problem = "has a line break or another control character"
        if problem is not None:
            raise CatalogueError(f"the translation of {english!r} {problem}", source,
                                 message.lineno)  # fmt: skip


def long_date(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """An edition's date, CLDR's full one in `language` and `zone`: 'Sunday, December
    6, 2026', 'Sonntag, 6. Dezember 2026', '2026年12月6日日曜日'."""
    return format_date(moment.astimezone(zone).date(), "full", locale=site_locale(language))


def short_date(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """A story's date, CLDR's medium one: 'Dec 6, 2026', '06.12.2026'."""
    return format_date(moment.astimezone(zone).date(), "medium", locale=site_locale(language))


def matching_language(tag: str, offered: Sequence[str]) -> str | None:
    """The one of `offered` (as spelt there) that a reader asking for `tag` gets: the
    same language tag, else one of the same language and script (CLDR's likely one
    where a tag names none), the same region first ('de-AT' gets 'de', 'zh-CN' gets
    'zh-Hans' and never 'zh-Hant'); None: none."""
    wanted = _known_locale(tag.strip().replace("_", "-"))
    if wanted is None:
        return None
    best: tuple[int, str] | None = None
    for candidate in offered:
        locale = site_locale(candidate)
        if locale.language != wanted.language or _script(locale) != _script(wanted):
            continue
        if str(locale) == str(wanted):
            return candidate
        # Rank: the same region, then no region, then another region.
        rank = 0 if locale.territory == wanted.territory else 1 if not locale.territory else 2
        if best is None or rank < best[0]:
            best = (rank, candidate)
    return None if best is None else best[1]


def _script(locale: Locale) -> str:
    """The locale's script, or the one CLDR takes as likely for it ('zh-TW': Hant)."""
    if locale.script:
        return str(locale.script)
    likely = get_global("likely_subtags")
    for key in (f"{locale.language}_{locale.territory}", locale.language):
        found = likely.get(key)
        if found:
            parts = str(found).split("_")
            return parts[1] if len(parts) > 2 else ""
    return ""


_MAX_ACCEPT = 40  # entries read of an Accept-Language header: browsers send a handful


def preferred_language(accept_language: str, offered: Sequence[str]) -> str | None:
    """The offered language that an Accept-Language header (RFC 9110) prefers most;
    None: it asks for none of them (or says nothing readable)."""
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate(accept_language.split(",")[:_MAX_ACCEPT]):
        tag, _, params = entry.strip().partition(";")
        weight = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value.strip())
            except ValueError:
                continue
            if not 0 < weight <= 1:  # q=0: "not this one"; other values are not q-values
                continue
        tag = tag.strip()
        if re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", tag):
            ranked.append((-weight, position, tag))
    for _, _, tag in sorted(ranked):
        found = matching_language(tag, offered)
        if found is not None:
            return found
    return None
