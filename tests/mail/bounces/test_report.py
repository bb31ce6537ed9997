"""`syndicate report`: per edition, how it went out and what came back, as rates, with
the warnings a sender must heed; `--html` draws them, checked in a real browser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser import NEEDS_CHROMIUM, measured_widths, run_chromium
from tests.commands import invoke, publish_json
from tests.mail.bounces import reports
from tests.sites import HEADER, add_story, site

PEOPLE = [f"reader{n}@example.com" for n in range(40)]


def mailed(root: Path) -> Path:
    site(root)
    rows = "".join(f"{email},Reader,,active\n" for email in PEOPLE)
    (root / "people.csv").write_text(HEADER + rows, "utf-8")
    invoke("subscribers", "import", str(root / "people.csv"), "--dir", str(root))
    code, _, err = publish_json(root)
    assert code == 0, err
    return root


def came_back(root: Path, tmp_path: Path) -> None:
    """Two hard bounces and a complaint about the first edition; one unsubscribe."""
    [edition] = [e["edition"] for e in figures(root)[1]["editions"]]
    ours = f"<{edition}.".encode()  # the returned messages' Message-ID: of this edition
    files = []
    for number, message in enumerate(
        [
            reports.postfix_dsn("reader1@example.com"),
            reports.exim_text("reader2@example.com"),
            reports.arf_complaint("reader3@example.com"),
        ]
    ):
        path = tmp_path / f"report-{number}.eml"
        path.write_bytes(message.replace(b"<2026-12-06.", ours))
        files.append(str(path))
    code, _, err = invoke("bounces", str(root), *files)
    assert code == 0, err
    invoke("subscribers", "remove", "reader4@example.com", "--dir", str(root))


def figures(root: Path, *flags: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = invoke("report", str(root), "--json", *flags)
    return code, json.loads(out) if out else {}, err


def test_each_edition_s_figures_and_rates(tmp_path: Path) -> None:
    root = mailed(tmp_path / "site")
    came_back(root, tmp_path)
    code, report, err = figures(root)
    assert code == 0
    [edition] = report["editions"]
    assert set(edition) == {
        "edition", "recipients", "sent", "deferred", "failed", "hard", "soft", "complaints",
        "unsubscribes", "bounce_rate", "complaint_rate",
    }  # fmt: skip
    assert (edition["recipients"], edition["sent"], edition["deferred"], edition["failed"]) == (
        40, 40, 0, 0,
    )  # fmt: skip
    assert (edition["hard"], edition["soft"], edition["complaints"]) == (2, 0, 1)
    assert edition["unsubscribes"] == 2  # the complaint, and the one who left
    assert edition["bounce_rate"] == pytest.approx(2 / 40)
    assert edition["complaint_rate"] == pytest.approx(1 / 40)
    assert "complaint rate 2.50% is over 0.1%" in err and "bounce rate 5.00% is over 2%" in err


def test_the_next_publish_warns_of_the_last_edition(tmp_path: Path) -> None:
    root = mailed(tmp_path / "site")
    came_back(root, tmp_path)
    add_story(root, "late", "A Later Story")
    code, report, _ = publish_json(root)
    assert code == 0
    warned = [w["message"] for w in report["warnings"] if w["field"] in ("complaints", "bounces")]
    assert len(warned) == 2 and all(w.startswith("edition ") for w in warned)


def test_one_edition_and_an_unknown_one(tmp_path: Path) -> None:
    root = mailed(tmp_path / "site")
    [edition] = figures(root)[1]["editions"]
    code, one, _ = figures(root, "--edition", edition["edition"])
    assert code == 0 and [e["edition"] for e in one["editions"]] == [edition["edition"]]
    code, _, err = figures(root, "--edition", "1999-01-01")
    assert code == 2 and "no edition" in err and "Traceback" not in err


@pytest.mark.browser
@NEEDS_CHROMIUM[1]
@pytest.mark.parametrize("width", [375, 800])
def test_the_page_draws_the_rates_and_fits_a_phone(tmp_path: Path, width: int) -> None:
    root = mailed(tmp_path / "site")
    came_back(root, tmp_path)
    page = tmp_path / "report.html"
    code, _, err = invoke("report", str(root), "--html", str(page))
    assert code == 0, err
    html = page.read_text("utf-8")
    assert "<svg" in html and "<script" not in html and "5.00%" in html
    shot = tmp_path / f"report-{width}.png"
    done = run_chromium(page, width, tmp_path, f"--screenshot={shot}")
    assert shot.is_file() and shot.stat().st_size > 5_000, done.stderr[-2000:]
    content, viewport = measured_widths(page, width, tmp_path)
    assert viewport == width and content <= viewport
