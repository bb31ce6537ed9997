"""`syndicate validate`: feeds (RSS, Atom, JSON Feed, anyone's) and digests.

`validate_feed` checks the bytes of one feed; `validate_paths` walks what a user
names and returns one `FileReport` per file it checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from syndicate.errors import SiteError
from syndicate.validate.atom import AtomChecks
from syndicate.validate.digest import (
    validate_digest_folder,
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
    "validate_digest_folder",
    "validate_digest_html",
    "validate_digest_message",
    "validate_digest_text",
    "validate_feed",
    "validate_mjml",
    "validate_outputs",
    "validate_paths",
]

# Feeds past this size are cut off or refused by common readers and aggregators.
READER_LIMIT = 1024 * 1024


def validate_feed(content: bytes, path: str, *, now: datetime | None = None) -> FileReport:
    """The findings of one RSS, Atom or JSON feed, whose format is read from its bytes."""
    moment = now or datetime.now(UTC)
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith((b"{", b"[")):
        return _json_feed(content, path, moment)
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


def validate_file(path: Path, shown: str) -> FileReport:
    """One file, checked as what its content says it is (OSError if unreadable)."""
    content = path.read_bytes()
    kind = sniff(content, path.name)
    if kind == "message":
        return validate_digest_message(content, shown)
    if kind == "html":
        return validate_digest_html(content, shown)
    if kind == "mjml":
        return validate_mjml(content, shown)
    if kind == "text":
        return validate_digest_text(content, shown)
    return validate_feed(content, shown)


def sniff(content: bytes, name: str) -> str:
    """'feed', 'html', 'message', 'mjml' or 'text', from the content (the name breaks ties)."""
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if head.startswith(b"<mjml"):
        return "mjml"
    if head.startswith((b"<", b"{", b"[", b"\xff\xfe", b"\xfe\xff", b"\x00")):
        return "feed"
    if name.lower().endswith(".eml") or _has_headers(head):
        return "message"
    if name.lower().endswith(".txt"):
        return "text"
    return "feed"


def _has_headers(head: bytes) -> bool:
    fields = {line.split(b":", 1)[0] for line in head.splitlines()[:20] if b":" in line}
    return len(fields & {b"from", b"subject", b"mime-version", b"date", b"to"}) >= 2


def validate_paths(paths: Sequence[Path]) -> list[FileReport]:
    """Every named file, and every feed or digest in the named folders.

    A path that does not exist raises SiteError before anything is checked."""
    for path in paths:
        if not path.exists():
            raise SiteError("no such file or folder", file=path)
    reports: list[FileReport] = []
    for path in paths:
        if path.is_dir():
            reports += _folder(path)
        else:
            reports.append(validate_file(path, str(path)))
    return reports


def _folder(folder: Path) -> list[FileReport]:
    reports: list[FileReport] = []
    for directory, names in _walk(folder):
        if "sample.eml" in names:
            reports += validate_digest_folder(directory, str(directory))
            continue
        for name in sorted(names):
            path = directory / name
            content = path.read_bytes()
            if sniff(content, name) == "feed" and _could_be_feed(content, name):
                reports.append(validate_feed(content, str(path)))
    return reports


def _walk(folder: Path) -> Iterable[tuple[Path, list[str]]]:
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
        yield Path(directory), [n for n in names if not n.startswith(".")]


_FEED_ROOTS = (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf")
_FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")


def _could_be_feed(content: bytes, name: str) -> bool:
    """In a folder, a file is checked when it is a feed or a feed gone wrong; other XML
    and JSON (stylesheets, OPML, sitemaps, package files) are left alone."""
    head = content[:4096].lower()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = content[:8192].decode("utf-16", errors="replace").encode("ascii", "replace").lower()
    if any(root in head for root in _FEED_ROOTS) or b"jsonfeed.org/version" in head:
        return True
    xml_or_json = name.lower().endswith(_FEED_SUFFIXES)
    if not xml_or_json:
        return False
    # A file named like a feed that does not parse may be a feed: say so.
    report = FileReport(name, "xml")
    if head.lstrip().startswith((b"{", b"[")):
        return read_json(content, report) is None
    return read_xml(content, report) is None


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
