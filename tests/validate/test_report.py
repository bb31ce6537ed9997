from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.validate import CODES, FileReport

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_code_is_documented_with_its_severity() -> None:
    readme = README.read_text(encoding="utf-8")
    for code, (severity, _) in CODES.items():
        assert f"    {code:<26}{severity.value:<9}" in readme, code


def test_a_report_is_valid_until_an_error_and_strict_counts_warnings() -> None:
    report = FileReport("feed.xml", "rss")
    report.add("missing-date", "an item has no date", 3, 1)
    assert report.valid and not report.passes(strict=True)
    report.add("bad-date", "not a date", 2, 5)
    assert not report.valid
    shown = report.as_json()
    assert shown["errors"] == [
        {"code": "bad-date", "message": "not a date", "line": 2, "column": 5}
    ]
    assert [w["code"] for w in shown["warnings"]] == ["missing-date"]  # type: ignore[attr-defined]


def test_codes_are_a_closed_set() -> None:
    with pytest.raises(KeyError):
        FileReport("feed.xml", "rss").add("made-up", "no such code")
