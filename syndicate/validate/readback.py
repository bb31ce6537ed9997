"""The last check of an XML feed: a real reader, feedparser, reads it back."""

from __future__ import annotations

import re
import warnings
from xml.sax import SAXParseException

import feedparser

from syndicate.validate.report import FileReport

# feedparser notes these where a document is fine: the declared encoding is read
# as a superset of it (us-ascii as utf-8, iso-8859-1 as windows-1252).
_HARMLESS = ("CharacterEncodingOverride",)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def read_back(content: bytes, report: FileReport) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = feedparser.parse(content, sanitize_html=False, resolve_relative_uris=False)
        except Exception as exc:  # feedparser's own failures: a reader would fail too
            report.add("reader-error", f"feedparser cannot read the feed: {exc}")
            return
    if not parsed.get("bozo"):
        return
    problem = parsed.get("bozo_exception")
    if type(problem).__name__ in _HARMLESS and parsed.get("version"):
        return
    line = None
    get_line = getattr(problem, "getLineNumber", None)
    if callable(get_line):
        line = get_line()
    if _DOCTYPE.search(content[:4000]) and isinstance(problem, SAXParseException):
        # The XML parser read the DTD's entities; feedparser rewrites and drops a
        # DOCTYPE, so its complaint is about itself, not the feed: readers vary here.
        report.add("reader-entity", f"feedparser does not read the DTD's entities: {problem}", line)
        return
    report.add("reader-error", f"feedparser flags the feed: {problem}", line)
