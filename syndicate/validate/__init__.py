"""`syndicate validate`: feeds (RSS, Atom, JSON Feed, anyone's) and digests.

`validate_feed` checks the bytes of one feed; `validate_paths` walks what a user
names and returns one `FileReport` per file it checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from lxml import etree

from syndicate.validate.app import APP, AppChecks
from syndicate.validate.atom import AtomChecks
from syndicate.validate.digest import (
    validate_digest_html,
    validate_digest_message,
    validate_digest_text,
    validate_mjml,
)
from syndicate.validate.jsonfeed import JsonFeedChecks, looks_like_json_feed, read_json
from syndicate.validate.readback import read_back
from syndicate.validate.report import CODES, FileReport, Finding, Severity
from syndicate.validate.rss import RdfChecks, RssChecks
from syndicate.validate.xmldoc import ATOM, ATOM03, RDF, read_xml

__all__ = [
    "CODES",
    "FileReport",
    "Finding",
    "Severity",
    "validate_digest_html",
    "validate_digest_message",
    "validate_digest_text",
    "validate_feed",
    "validate_mjml",
    "validate_outputs",
]

# Feeds past this size are cut off or refused by common readers and aggregators.
READER_LIMIT = 1024 * 1024


def validate_feed(content: bytes, path: str, *, now: datetime | None = None) -> FileReport:
    """The findings of one RSS, Atom or JSON feed, whose format is read from its bytes."""
    moment = now or datetime.now(UTC)
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith((b"{", b"[")):
        return _json_feed(content, path, moment)
    if start[:1].isdigit() or start.startswith((b'"', b"-", b"true", b"false", b"null")):
        report = FileReport(path, "json")
        report.add("unknown-format", "JSON that is not an object: not a JSON Feed", 1, 1)
        return report
    report = FileReport(path, "xml")
    document = read_xml(content, report)
    if document is None:
        return report
    root = document.root
    namespace, name = etree.QName(root).namespace, etree.QName(root).localname
    if namespace is None and name == "rss":
        report.kind = "rss"
        RssChecks(document, report, moment).check()
    elif namespace == RDF and name == "RDF":
        report.kind = "rdf"
        RdfChecks(document, report, moment).check()
    elif namespace == ATOM and name in ("feed", "entry"):
        report.kind = "atom"
        AtomChecks(document, report, moment).check()
    elif namespace == APP and name in ("service", "categories"):
        report.kind = f"app-{name}"  # RFC 5023: a service or category document
        AppChecks(document, report, moment).check()
    elif namespace == ATOM03:
        report.kind = "atom"
        report.add("obsolete-format", "Atom 0.3 is obsolete: publish Atom 1.0 (RFC 4287)", 1)
    else:
        shown = name if namespace is None else f"{{{namespace}}}{name}"
        hint = " (an Atom feed needs xmlns=http://www.w3.org/2005/Atom)" if name == "feed" else ""
        report.add("unknown-format", f"<{shown}> is not the root of an RSS or Atom feed{hint}", 1)
        return report
    _size(content, report)
    if report.valid:
        read_back(content, report)
    return report


def _json_feed(content: bytes, path: str, now: datetime) -> FileReport:
    report = FileReport(path, "json")
    read = read_json(content, report)
    if read is None:
        return report
    document, places = read
    if not looks_like_json_feed(document):
        report.add("unknown-format", "JSON, but not a JSON Feed (no jsonfeed.org version)", 1, 1)
        return report
    JsonFeedChecks(document, places, report, now).check()
    _size(content, report)
    return report


def _size(content: bytes, report: FileReport) -> None:
    if len(content) > READER_LIMIT:
        report.add(
            "feed-too-large",
            f"{len(content) // 1024} KB: readers fetch at most about {READER_LIMIT // 1024} KB",
        )


def validate_outputs(
    feeds: Iterable[tuple[str, bytes]],
    digest: Iterable[tuple[str, bytes]] = (),
    records: tuple[str, ...] = (),
) -> list[FileReport]:
    """What a publish built, before any of it goes out: feed documents by their bytes,
    an edition's web copy, text and sample message (each named as it will be written).
    `records`: the text the edition was made from (titles, summaries, names), where
    placeholder-like text is what a person wrote, not a template's leftover."""
    reports = [validate_feed(content, path) for path, content in feeds]
    for path, content in digest:
        if path.endswith(".eml"):
            reports.append(validate_digest_message(content, path, records=records))
        elif path.endswith(".html"):
            reports.append(validate_digest_html(content, path, web_copy=True, records=records))
        else:
            reports.append(validate_digest_text(content, path, web_copy=True, records=records))
    return reports
