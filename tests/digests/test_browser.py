"""The web copy of an edition in a real browser (headless Chromium), at phone and
desktop widths. Skipped, with the reason, where Chromium is not installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from syndicate import api
from tests.factories import copy_example_site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
]  # fmt: skip
# Chromium's window is at least 500 px wide, so the page goes in a frame of the
# width under test; once it has loaded, the frame's widths go into the title.
HARNESS = """<!doctype html><html><head><title>waiting</title></head>
<body style="margin:0"><iframe id="page" src="{src}" style="border:0;width:{width}px;height:3000px"
onload="var d=this.contentDocument.documentElement;
document.title='measured:'+d.scrollWidth+'x'+d.clientWidth"></iframe></body></html>"""

pytestmark = [
    pytest.mark.browser,
    # In CI (.ci/run installs it) a missing Chromium fails the tests instead.
    pytest.mark.skipif(
        CHROMIUM is None and os.environ.get("CI") != "true",
        reason="Chromium is not installed (apt install chromium)",
    ),
]


@pytest.fixture(scope="module")
def edition_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = copy_example_site(tmp_path_factory.mktemp("browser"))
    _, report = api.preview(site, {})
    assert report.folder is not None
    return report.folder / "index.html"


def run_chromium(
    page: Path, width: int, folder: Path, *arguments: str
) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    harness = folder / f"harness-{width}.html"
    harness.write_text(HARNESS.format(src=page.as_uri(), width=width))
    command = [
        CHROMIUM, *FLAGS, "--allow-file-access-from-files", f"--window-size={max(width, 500)},1400",
        f"--user-data-dir={folder / 'profile'}", *arguments, harness.as_uri(),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


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
