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
    assert long_date(SUNDAY, ZoneInfo("Europe/London"), language) == long
    assert short_date(SUNDAY, ZoneInfo("Europe/London"), language) == short


def test_the_date_is_the_one_in_the_sites_timezone() -> None:
    late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert long_date(late, ZoneInfo("Asia/Tokyo"), "en") == "Monday, December 7, 2026"


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
    messages.mkdir(parents=True, exist_ok=True)
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


def test_many_calls_build_no_chain_of_catalogues(tmp_path: Path) -> None:
    _po(tmp_path, "de", {"Related": "Siehe auch"})
    for _ in range(2_000):  # each call chained the cached one again, until RecursionError
        messages = catalogue("de", tmp_path)
    assert messages.gettext("Related") == "Siehe auch"
    assert messages.gettext("Unsubscribe") == catalogue("de").gettext("Unsubscribe")
    assert messages.gettext("no such string") == "no such string"


@pytest.mark.parametrize(
    ("translation", "why"),
    [
        ("Weitere %(seite)s", "takes the values"),
        ("100% verwandt", "'%' that is no value"),
        ("Siehe\\nauch", "line break"),
    ],
)
def test_a_site_translation_that_would_break_where_it_lands_is_refused(
    tmp_path: Path, translation: str, why: str
) -> None:
    _po(tmp_path, "xx", {"Related": translation})
    with pytest.raises(CatalogueError, match=why) as raised:
        catalogue("xx", tmp_path)
    assert raised.value.line == 5


def test_a_translation_is_text_where_it_lands_in_html(tmp_path: Path) -> None:
    from syndicate._util.templating import template_environment

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.html").write_text('<p>{{ _("Related") }}</p>', "utf-8")
    _po(tmp_path / "locale", "xx", {"Related": "Q&A <b>"})
    html = template_environment(
        tmp_path / "templates", autoescape=True, language="xx", site_locale_dir=tmp_path / "locale"
    )
    assert html.get_template("t.html").render() == "<p>Q&amp;A &lt;b&gt;</p>"
