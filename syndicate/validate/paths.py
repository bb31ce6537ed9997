"""What `syndicate validate PATH...` checks: named files, and what folders hold.

A file is checked as what its name says (.xml .rss .atom .rdf .json: a feed; .eml,
.html, .txt, .mjml: a digest), else as what its content looks like. In a folder,
every feed (or file named like one that does not parse) is checked, a folder that
holds `sample.eml` is an edition, and other files are left alone.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from syndicate.errors import Problem, SiteError
from syndicate.validate import validate_feed
from syndicate.validate.digest import (
    EDITION_FILES,
    validate_digest_folder,
    validate_digest_html,
    validate_digest_message,
    validate_digest_text,
    validate_mjml,
)
from syndicate.validate.jsonfeed import read_json
from syndicate.validate.report import FileReport
from syndicate.validate.xmldoc import read_xml

FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")
_FEED_ROOTS = (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf")
_SAMPLE = "sample.eml"


@dataclass
class ValidationRun:
    reports: list[FileReport] = field(default_factory=list)
    unreadable: list[Problem] = field(default_factory=list)  # files that could not be read


def validate_paths(paths: Sequence[Path]) -> ValidationRun:
    """Every named file, and every feed or digest in the named folders. A named path
    that is not there raises SiteError before anything is checked; a file that cannot
    be read is noted, and the others are still checked."""
    for path in paths:
        if not path.exists():
            raise SiteError("no such file or folder", file=path)
    run = ValidationRun()
    for path in paths:
        if path.is_dir():
            _folder(path, run)
        else:
            _file(path, run, named=True)
    return run


def _file(path: Path, run: ValidationRun, *, named: bool) -> None:
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            if named:
                run.unreadable.append(Problem("not a regular file", str(path)))
            return  # a pipe or a device in a folder: not a file anyone publishes
        content = path.read_bytes()
    except OSError as exc:
        run.unreadable.append(Problem(f"cannot read it: {exc.strerror or exc}", str(path)))
        return
    if named:
        run.reports.append(check_file(path, content))
    elif _could_be_feed(content, path.name):
        run.reports.append(validate_feed(content, str(path)))


def check_file(path: Path, content: bytes) -> FileReport:
    """One named file, checked as what it is."""
    shown = str(path)
    kind = sniff(content, path.name)
    if kind == "message":
        return validate_digest_message(content, shown)
    if kind == "mjml":
        return validate_mjml(content, shown)
    # The web copy beside an edition's sample message has no unsubscribe link to hold.
    web = {name for name, _, _ in EDITION_FILES} - {_SAMPLE}
    edition = path.name in web and (path.parent / _SAMPLE).is_file()
    if kind == "html":
        archive = path.name == "index.html" and any(path.parent.glob(f"*/{_SAMPLE}"))
        return validate_digest_html(content, shown, web_copy=edition, archive=archive)
    if kind == "text":
        return validate_digest_text(content, shown, web_copy=edition)
    return validate_feed(content, shown)


def sniff(content: bytes, name: str) -> str:
    """'feed', 'html', 'message', 'mjml' or 'text': by the name where it says, else by
    the content (an HTML error page saved as feed.xml is a feed that went wrong)."""
    lowered = name.lower()
    if lowered.endswith(FEED_SUFFIXES):
        return "feed"
    for suffixes, kind in (
        ((".eml",), "message"),
        ((".html", ".htm"), "html"),
        ((".mjml",), "mjml"),
        ((".txt",), "text"),
    ):
        if lowered.endswith(suffixes):
            return kind
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if head.startswith(b"<mjml"):
        return "mjml"
    if not head.startswith((b"<", b"{", b"[")) and _has_headers(head):
        return "message"
    return "feed"


def _has_headers(head: bytes) -> bool:
    fields = {line.split(b":", 1)[0] for line in head.splitlines()[:20] if b":" in line}
    return len(fields & {b"from", b"subject", b"mime-version", b"date", b"to"}) >= 2


def _folder(folder: Path, run: ValidationRun) -> None:
    for directory, names in _walk(folder):
        if _SAMPLE in names:
            run.reports.extend(validate_digest_folder(directory, str(directory)))
            continue
        for name in sorted(names):
            _file(directory / name, run, named=False)


def _walk(folder: Path) -> Iterable[tuple[Path, list[str]]]:
    for directory, subfolders, names in os.walk(folder):
        subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
        yield Path(directory), [n for n in names if not n.startswith(".")]


def _could_be_feed(content: bytes, name: str) -> bool:
    """In a folder, a file is checked when it is a feed or a feed gone wrong; other XML
    and JSON (stylesheets, OPML, sitemaps, package files) are left alone."""
    head = content[:4096].lower()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = content[:8192].decode("utf-16", errors="replace").encode("ascii", "replace").lower()
    if any(root in head for root in _FEED_ROOTS) or b"jsonfeed.org/version" in head:
        return True
    if not name.lower().endswith(FEED_SUFFIXES):
        return False
    # A file named like a feed that is not even XML or JSON may be a feed gone wrong
    # (an error page served in its place): say so.
    report = FileReport(name, "xml")
    if head.lstrip().startswith((b"{", b"[")):
        return read_json(content, report) is None
    return read_xml(content, report) is None
