"""The feed validator against a corpus of small feeds, each valid or showing one defect.

Every file under tests/data/feeds has an entry in the expected.toml of its folder or of
a folder above it (keys are paths relative to that folder): the distinct error and
warning codes that `validate_feed` must report for it, and the rule they come from.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from syndicate.validate.report import CODES, Finding, Severity

CORPUS = Path(__file__).resolve().parents[1] / "data" / "feeds"

# Codes that only digests can produce: not this corpus's business.
DIGEST_CODES = {
    "mjml-error",
    "gmail-clipping",
    "missing-alt",
    "missing-unsubscribe",
    "unfilled-placeholder",
    "missing-text-part",
    "missing-html-part",
    "missing-subject",
    "missing-preheader",
    "long-line",
    "bad-header",
}
# Feed codes no corpus file shows: a feed too large for readers is not a small file, so
# test_a_feed_larger_than_readers_fetch builds one; and no feed is known that the XML
# checks pass and feedparser still rejects for anything but a DTD's entities
# (reader-entity), so reader-error is there for what feedparser alone would notice.
NOT_IN_CORPUS = {"feed-too-large", "reader-error"}


def _expected() -> dict[str, dict[str, Any]]:
    """Every expectation, keyed by its file's path relative to the corpus."""
    merged: dict[str, dict[str, Any]] = {}
    for listing in sorted(CORPUS.rglob("expected.toml")):
        folder = listing.parent.relative_to(CORPUS).as_posix()
        with listing.open("rb") as f:
            for path, expected in tomllib.load(f).items():
                key = path if folder == "." else f"{folder}/{path}"
                assert key not in merged, f"{key} has two expectations"
                merged[key] = expected
    return merged


EXPECTED = _expected()


def _describe(findings: list[Finding]) -> str:
    if not findings:
        return "    (none)"
    return "\n".join(
        f"    {f.severity.value} {f.code} at {f.line}:{f.column}: {f.message}" for f in findings
    )


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=str)
def test_corpus_file(path: str) -> None:
    from syndicate.validate import validate_feed

    expected = EXPECTED[path]
    content = (CORPUS / path).read_bytes()
    report = validate_feed(content, path)
    errors = {f.code for f in report.errors}
    warnings = {f.code for f in report.warnings}
    want_errors, want_warnings = set(expected["errors"]), set(expected["warnings"])
    assert (errors, warnings) == (want_errors, want_warnings), (
        f"{path}: {expected['why']}\n"
        f"  expected errors {sorted(want_errors)}, warnings {sorted(want_warnings)}\n"
        f"  got errors {sorted(errors)}, warnings {sorted(warnings)}; the findings:\n"
        f"{_describe(report.errors + report.warnings)}"
    )


def test_every_file_has_an_expectation_and_every_expectation_a_file() -> None:
    files = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name != "expected.toml"
    }
    assert sorted(files - EXPECTED.keys()) == [], "files without an entry in expected.toml"
    assert sorted(EXPECTED.keys() - files) == [], "entries of expected.toml without a file"


def test_expectations_are_well_formed() -> None:
    for path, expected in EXPECTED.items():
        assert set(expected) == {"errors", "warnings", "why"}, path
        assert expected["why"].strip(), path
        for key, severity in (("errors", Severity.ERROR), ("warnings", Severity.WARNING)):
            codes = expected[key]
            assert len(codes) == len(set(codes)), f"{path}: repeated code in {key}"
            for code in codes:
                assert code in CODES, f"{path}: unknown code {code!r}"
                assert CODES[code][0] is severity, f"{path}: {code} is not a {severity.value}"


def test_corpus_is_large_and_covers_every_feed_code() -> None:
    assert len(EXPECTED) >= 60
    assert CODES.keys() >= DIGEST_CODES
    assert CODES.keys() >= NOT_IN_CORPUS
    feed_codes = CODES.keys() - DIGEST_CODES - NOT_IN_CORPUS
    shown = {code for e in EXPECTED.values() for code in e["errors"] + e["warnings"]}
    assert sorted(feed_codes - shown) == [], "feed codes that no corpus file shows"
    assert sorted(shown & (DIGEST_CODES | NOT_IN_CORPUS)) == []
    valid = [p for p, e in EXPECTED.items() if not e["errors"]]
    assert len(valid) >= len(EXPECTED) // 4, "too few valid feeds"


def test_a_feed_larger_than_readers_fetch() -> None:
    from syndicate.validate import validate_feed

    # A valid feed padded with a comment to 4 MiB, well over the 1 MB or so that readers
    # and aggregators fetch; the comment keeps it cheap to parse.
    small = (CORPUS / "rss/valid-minimal.xml").read_bytes()
    padding = b"<!-- " + b"padding " * (4 * 1024 * 1024 // 8) + b"-->\n"
    content = small.replace(b"<rss ", padding + b"<rss ", 1)
    assert len(content) > 4 * 1024 * 1024
    report = validate_feed(content, "rss/too-large.xml")
    assert [f.code for f in report.errors] == [], _describe(report.errors)
    assert [f.code for f in report.warnings] == ["feed-too-large"], _describe(report.warnings)
