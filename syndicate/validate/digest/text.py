"""Digest checks of a plain-text document: a message's text part, or an edition's
digest.txt (the web copy, with no unsubscribe URL)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from syndicate.validate.digest.common import (
    MAX_LINE_BYTES,
    Lines,
    Sink,
    decode,
    placeholders,
    report_placeholders,
    url_problem,
)
from syndicate.validate.digest.html import UNSUBSCRIBE_WORDS
from syndicate.validate.report import FileReport

# --- plain text -----------------------------------------------------------------------

_TEXT_URL = re.compile(r"(?<![\w.+-])(?:https?://|mailto:)[^\s<>\"]*", re.I)
_TRAILING = ".,;:!?'\"*"


def text_urls(text: str) -> Iterator[tuple[int, str]]:
    """The http(s) and mailto URLs in plain text, without the punctuation after them
    nor a closing bracket that none in the URL opens."""
    for match in _TEXT_URL.finditer(text):
        url = match.group().rstrip(_TRAILING)
        end = len(url)
        for opening, closing in ("()", "[]", "{}"):
            excess = url.count(closing, 0, end) - url.count(opening, 0, end)
            while excess > 0 and url[end - 1] == closing:
                end, excess = end - 1, excess - 1
        yield match.start(), url[:end].rstrip(_TRAILING)


def check_text(
    sink: Sink,
    content: bytes,
    *,
    web_copy: bool,
    declared: str | None = None,
    fallback: str = "utf-8",
    list_urls: tuple[str, ...] = (),
    long_lines: bool = True,
) -> None:
    """The text checks of a digest (`long_lines`: whether to measure the lines here,
    which a message does on its raw bytes instead)."""
    if long_lines:
        for number, row in enumerate(content.split(b"\n"), 1):
            size = len(row.removesuffix(b"\r"))
            if size > MAX_LINE_BYTES:
                sink.add("long-line", f"a line of {size:,} bytes (RFC 5322: 998 at most)", number)
    text = decode(sink, content, declared, fallback=fallback)
    lines = Lines(text)
    report_placeholders(sink, text, lines)
    # Lines that say unsubscribe: a URL on one of them, or on the line after, counts.
    saying = {lines.at(m.start())[0] for m in UNSUBSCRIBE_WORDS.finditer(text)}
    unsubscribe = False
    for offset, url in text_urls(text):
        line, column = lines.at(offset)
        problem = url_problem(url)
        if problem is not None:
            sink.add("bad-url", problem[1], line, column)
        elif not unsubscribe:
            unsubscribe = (
                url in list_urls or "unsubscribe" in url.lower() or bool({line, line - 1} & saying)
            )
    if not web_copy and not unsubscribe:
        for offset, kind, _ in placeholders(text):
            number = lines.at(offset)[0]
            if kind == "token" and {number, number - 1} & saying:
                return  # an unfilled unsubscribe slot, reported as such
        sink.add("missing-unsubscribe", "no unsubscribe URL in the text")


def validate_digest_text(
    content: bytes, path: str, *, web_copy: bool = False, records: tuple[str, ...] = ()
) -> FileReport:
    """A digest's plain text as mailed, or (`web_copy`) an edition's digest.txt."""
    report = FileReport(path, "digest-text")
    sink = Sink(report, content=records)
    check_text(sink, content, web_copy=web_copy)
    sink.finish()
    return report
