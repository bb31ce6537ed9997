"""The site's language: CLDR locales, dates, direction, catalogues and their overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syndicate._util.language import (
    CatalogueError,
    catalogue,
    is_right_to_left,
    long_date,
    short_date,
    site_locale,
)

SUNDAY = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "long", "short"),
    [
        ("en", "Sunday, December 6, 2026", "Dec 6, 2026"),
        ("en-GB", "Sunday, 6 December 2026", "6 Dec 2026"),
        ("de", "Sonntag, 6. Dezember 2026", "06.12.2026"),
        ("el", "Κυριακή 6 Δεκεμβρίου 2026", "6 Δεκ 2026"),
        ("ja", "2026年12月6日日曜日", "2026/12/06"),
    ],
)
def test_dates_follow_cldr_in_the_sites_language(language: str, long: str, short: str) -> None:
    locale = site_locale(language)
    assert long_date(SUNDAY, ZoneInfo("Europe/London"), locale) == long
    assert short_date(SUNDAY, ZoneInfo("Europe/London"), locale) == short


def test_the_date_is_the_one_in_the_sites_timezone() -> None:
    late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert long_date(late, ZoneInfo("Asia/Tokyo"), site_locale("en")) == "Monday, December 7, 2026"


def test_a_language_cldr_does_not_know_names_close_ones() -> None:
    with pytest.raises(ValueError, match=r"'de-XX' is not a language that CLDR knows \(did you"):
        site_locale("de-XX")


@pytest.mark.parametrize(
    ("language", "rtl"),
    [("ar", True), ("he", True), ("fa", True), ("ur", True), ("en", False), ("ja", False)],
)
def test_direction_comes_from_cldr(language: str, rtl: bool) -> None:
    assert is_right_to_left(site_locale(language)) is rtl


def _po(folder: Path, language: str, entries: dict[str, str]) -> Path:
    messages = folder / language / "LC_MESSAGES"
    messages.mkdir(parents=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    path = messages / "syndicate.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + body,
        encoding="utf-8",
    )
    return path


def test_a_site_catalogue_overrides_string_by_string(tmp_path: Path) -> None:
    _po(tmp_path, "xx", {"Related": "Siehe auch"})
    messages = catalogue("xx", tmp_path)
    assert messages.gettext("Related") == "Siehe auch"
    assert messages.gettext("Unsubscribe") == "Unsubscribe"  # nobody translated it: English


def test_a_region_falls_back_to_its_language(tmp_path: Path) -> None:
    _po(tmp_path, "xx", {"Related": "Voir aussi"})
    assert catalogue("xx-YY", tmp_path).gettext("Related") == "Voir aussi"


def test_a_broken_site_catalogue_is_one_error_with_its_file(tmp_path: Path) -> None:
    path = _po(tmp_path, "zz", {})
    path.write_text(
        'msgid "Related"\nmsgstr "Siehe auch"\nthis line is no gettext\n', encoding="utf-8"
    )
    with pytest.raises(CatalogueError) as raised:
        catalogue("zz", tmp_path)
    assert raised.value.file == path
    assert raised.value.line == 3
