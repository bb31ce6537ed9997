"""The web copy of an edition in a real browser (headless Chromium), at phone and
desktop widths. Skipped, with the reason, where Chromium is not installed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syndicate import api
from tests.browser import NEEDS_CHROMIUM, measured_direction, measured_widths, run_chromium
from tests.digests.test_languages import _site_in
from tests.factories import copy_example_site

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def edition_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_example_site(tmp_path_factory.mktemp("browser"))
    _, report = api.preview(site, {})
    assert report.folder is not None
    return report.folder / "index.html"


@pytest.mark.parametrize("width", [375, 800])
def test_the_edition_renders_at_phone_and_desktop_widths(
    edition_page: Path, tmp_path: Path, width: int
) -> None:
    shot = tmp_path / f"edition-{width}.png"
    done = run_chromium(edition_page, width, tmp_path, f"--screenshot={shot}")
    assert shot.is_file() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    measured = run_chromium(edition_page, width, tmp_path, "--dump-dom")
    assert f"x{width}" in measured.stdout, measured.stderr[-2000:]


def test_no_horizontal_scroll_on_a_phone(edition_page: Path, tmp_path: Path) -> None:
    done = run_chromium(edition_page, 375, tmp_path, "--dump-dom")
    match = re.search(r"measured:(\d+)x(\d+)", done.stdout)
    assert match, done.stderr[-2000:]
    content_width, viewport = int(match.group(1)), int(match.group(2))
    assert viewport == 375
    assert content_width <= viewport


@pytest.mark.parametrize("language", ["ar", "he"])
@pytest.mark.parametrize("width", [375, 800])
def test_a_right_to_left_edition_reads_right_to_left_and_fits(
    tmp_path: Path, language: str, width: int
) -> None:
    site = _site_in(tmp_path, language)
    _, report = api.preview(site, {})
    assert report.folder is not None
    page = report.folder / "index.html"
    assert 'dir="rtl"' in page.read_text(encoding="utf-8")
    shot = tmp_path / f"edition-{language}-{width}.png"
    done = run_chromium(page, width, tmp_path, f"--screenshot={shot}")
    assert shot.is_file() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    assert measured_direction(page, width, tmp_path) == "rtl"
    content_width, viewport = measured_widths(page, width, tmp_path)
    assert viewport == width and content_width <= viewport
