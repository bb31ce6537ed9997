"""Headless Chromium for the tests of pages: a page at a width, its screenshot and
the widths it measured (its content against the viewport)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

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
document.title='measured:'+d.scrollWidth+'x'+d.clientWidth+':'+
getComputedStyle(this.contentDocument.body).direction"></iframe></body></html>"""

# In CI (.ci/run installs it) a missing Chromium fails the tests instead.
NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None and os.environ.get("CI") != "true",
        reason="Chromium is not installed (apt install chromium)",
    ),
]


def run_chromium(
    page: Path, width: int, folder: Path, *arguments: str
) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed")
    harness = folder / f"harness-{width}.html"
    harness.write_text(HARNESS.format(src=page.as_uri(), width=width))
    command = [
        CHROMIUM, *FLAGS, "--allow-file-access-from-files", f"--window-size={max(width, 500)},1400",
        f"--user-data-dir={folder / 'profile'}", *arguments, harness.as_uri(),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def measured_direction(page: Path, width: int, folder: Path) -> str:
    """The direction ('ltr', 'rtl') the browser computed for the page's body."""
    done = run_chromium(page, width, folder, "--dump-dom")
    match = re.search(r"measured:\d+x\d+:(\w+)", done.stdout)
    assert match, done.stderr[-2000:]
    return match.group(1)


def measured_widths(page: Path, width: int, folder: Path) -> tuple[int, int]:
    """The page's content width and the viewport's, at `width`."""
    done = run_chromium(page, width, folder, "--dump-dom")
    match = re.search(r"measured:(\d+)x(\d+)", done.stdout)
    assert match, done.stderr[-2000:]
    return int(match.group(1)), int(match.group(2))
