"""The web copy of an edition in a real browser (headless Chromium), at phone and
desktop widths. Skipped, with the reason, where Chromium is not installed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syndicate import api
from tests.browser import NEEDS_CHROMIUM, run_chromium
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
