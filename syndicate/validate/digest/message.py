"""Digest checks of a message (.eml).

A message is read three ways: its raw lines (line length, bytes in the header),
the header fields the stdlib email package parses from it, and its text and HTML
parts, which get the document checks of html.py. Whatever the bytes, the
result is findings, never an exception.
"""

from __future__ import annotations

import email.errors
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import default as POLICY
from typing import Any, TypeVar

from syndicate.validate.digest.common import (
    MAX_LINE_BYTES,
    PLACEHOLDER_KINDS,
    Sink,
    placeholders,
    show,
    url_problem,
)
from syndicate.validate.digest.html import check_html
from syndicate.validate.digest.text import check_text
from syndicate.validate.report import FileReport

_FIELD_NAME = re.compile(rb"[!-9;-~]+")  # RFC 5322: printable ASCII but the colon
_URI = re.compile(r"<([^<>]*)>")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_IDENTITY = ("7bit", "8bit", "binary", "")  # transfer encodings that leave bytes as they are
_ENCODING_DEFECTS = (
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
    email.errors.InvalidBase64PaddingDefect,
)
T = TypeVar("T")
MAX_DEPTH = 20  # nested multiparts a digest could hold; past that the rest is ignored
MAX_HEADER_CHARACTERS = 16_000  # a signed List-Unsubscribe is a few hundred
MAX_FIELDS = 1000  # header values parsed, at most (a digest has a dozen)


@dataclass
class _Header:
    """The raw header block: where each field starts, by lowercased name."""

    lines: dict[str, list[int]] = field(default_factory=dict)
    body: int = 0  # the offset of the body in the raw bytes

    def line(self, name: str, index: int = 0) -> int | None:
        found = self.lines.get(name.lower(), [])
        return found[index] if index < len(found) else None


@dataclass
class _Checker:
    raw: bytes
    sink: Sink
    header: _Header = field(default_factory=_Header)
    flagged: set[int | None] = field(default_factory=set)  # header lines with a bad-header
    fields: dict[str, list[tuple[str, str]]] | None = None  # by lowercased name: name, value
    budget: int = MAX_FIELDS  # header values still to parse
    utf8_to: bool = False  # To holds an internationalised address, in UTF-8 (RFC 6532)

    def bad_header(self, message: str, line: int | None) -> None:
        """One bad-header per header line: the first thing wrong with it."""
        if line is None or line not in self.flagged:
            self.flagged.add(line)
            self.sink.add("bad-header", message, line)

    def values(self, message: Message, name: str) -> list[tuple[int | None, Any]]:
        """Every value of a header, parsed, with its line. A value the parser fails on,
        or too long to parse (the email package takes quadratic time), is a finding."""
        if self.fields is None:
            self.fields = {}
            for key, raw in message.raw_items():
                self.fields.setdefault(key.lower(), []).append((key, str(raw)))
        found = []
        for index, (key, raw) in enumerate(self.fields.get(name.lower(), [])):
            line = self.header.line(name, index)
            self.budget -= 1
            if self.budget < 0:
                if self.budget == -1:
                    self.bad_header(f"over {MAX_FIELDS} header fields: the rest are not read", None)
                break
            if len(raw) > MAX_HEADER_CHARACTERS:
                self.bad_header(f"{key} is {len(raw):,} characters long, too long to read", line)
                continue
            try:
                found.append((line, message.policy.header_fetch_parse(key, raw)))
            except Exception as exc:
                self.bad_header(f"{key} does not parse: {exc}", line)
        return found


def validate_digest_message(
    content: bytes, path: str, *, records: tuple[str, ...] = ()
) -> FileReport:
    """A digest message as a subscriber receives it (an edition's sample.eml). `records`:
    the text of the records it was made from, where placeholder-like text is content."""
    report = FileReport(path, "digest-message")
    checker = _Checker(content, Sink(report, content=records))
    _check_raw_lines(checker)
    message = _safely(
        checker, "the message", lambda: BytesParser(policy=POLICY).parsebytes(content)
    )
    if message is not None:
        _safely(checker, "the header", lambda: _check_headers(checker, message))
        urls = _safely(checker, "List-Unsubscribe", lambda: _list_unsubscribe(checker, message))
        _safely(checker, "the parts", lambda: _check_parts(checker, message, urls or ()))
        _safely(checker, "the structure", lambda: _check_defects(checker, message))
    checker.sink.finish()
    return report


def _safely(checker: _Checker, what: str, check: Callable[[], T]) -> T | None:
    """The email package is lenient, but not everywhere: what makes it fail is a
    finding too, and the other checks still run."""
    try:
        return check()
    except Exception as exc:
        checker.sink.add("bad-header", f"{what} cannot be read: {type(exc).__name__}: {exc}")
        return None


def _check_raw_lines(checker: _Checker) -> None:
    sink, in_header, position, field_name = checker.sink, True, 0, ""
    to_fields: list[list[tuple[int, bytes]]] = []  # each To field's lines, with numbers
    for number, whole in enumerate(checker.raw.split(b"\n"), 1):
        position += len(whole) + 1
        line = whole.removesuffix(b"\r")
        if len(line) > MAX_LINE_BYTES:
            sink.add("long-line", f"a line of {len(line):,} bytes (RFC 5322: 998 at most)", number)
        if not in_header:
            continue
        if not line:
            in_header, checker.header.body = False, position
        elif line[:1] in (b" ", b"\t"):
            if number == 1:
                checker.bad_header("the message starts with a folded line", number)
        elif b":" not in line or not _FIELD_NAME.fullmatch(line.partition(b":")[0]):
            checker.bad_header(f"not a header field: {show(_text(line))}", number)
        else:
            field_name = line.partition(b":")[0].decode("ascii").lower()
            checker.header.lines.setdefault(field_name, []).append(number)
            if field_name == "to":
                to_fields.append([])
        if in_header and line and field_name == "to":
            to_fields[-1].append((number, line))  # judged whole, below
        elif in_header and _NON_ASCII.search(line):
            checker.bad_header(_RAW_NON_ASCII, number)
        elif in_header and _CONTROL.search(line):
            checker.bad_header("a control character in the header", number)
    for lines in to_fields:
        _check_to_lines(checker, lines)


_RAW_NON_ASCII = (
    "raw non-ASCII bytes in the header: RFC 5322 wants ASCII, and RFC 2047 encoded words "
    "for other text"
)


def _check_to_lines(checker: _Checker, lines: list[tuple[int, bytes]]) -> None:
    """A To field may be UTF-8 where its address needs it: a local part in another
    script (RFC 6532), sent only through servers that offer SMTPUTF8 (RFC 6531)."""
    raw = [line for _, line in lines]
    try:
        value = b"".join(raw).decode("utf-8").partition(":")[2].strip()
    except UnicodeDecodeError:
        value = ""
    address = value[value.rfind("<") + 1 : value.rfind(">")] if value.endswith(">") else value
    international = not address.partition("@")[0].isascii()
    for number, line in lines:
        if _NON_ASCII.search(line) and not international:
            checker.bad_header(_RAW_NON_ASCII, number)
        elif _CONTROL.search(line):
            checker.bad_header("a control character in the header", number)
    checker.utf8_to = checker.utf8_to or (international and any(map(_NON_ASCII.search, raw)))


def _non_ascii_defect(defect: Exception) -> bool:
    return isinstance(defect, email.errors.NonASCIILocalPartDefect) or "Non-ASCII" in str(defect)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _check_headers(checker: _Checker, message: Message) -> None:
    subjects = checker.values(message, "Subject")
    if not subjects or not str(subjects[0][1]).strip():
        said = "an empty Subject" if subjects else "no Subject"
        checker.sink.add("missing-subject", said, checker.header.line("subject"))
    for name in ("From", "Date", "Message-ID", "Subject"):
        values = checker.values(message, name)
        if name != "Subject" and not values:
            checker.bad_header(f"no {name} header", None)
        elif len(values) > 1:
            checker.bad_header(f"{name} appears {len(values)} times", values[1][0])
    for line, sender in checker.values(message, "From"):
        addresses = getattr(sender, "addresses", ())
        if not addresses or any(not (a.username and a.domain) for a in addresses):
            checker.bad_header(f"From is not an address: {show(str(sender))}", line)
    for line, date in checker.values(message, "Date"):
        if getattr(date, "datetime", None) is None:
            checker.bad_header(f"Date is not an RFC 5322 date: {show(str(date))}", line)
    mime = checker.values(message, "MIME-Version")
    if not mime and (message.is_multipart() or "content-type" in checker.header.lines):
        checker.bad_header("no MIME-Version header", None)
    elif mime and str(mime[0][1]).strip() != "1.0":
        checker.bad_header(f"MIME-Version is not 1.0: {show(str(mime[0][1]))}", mime[0][0])
    names = {key.lower(): key for key in reversed(list(message))}  # as first written
    for name in names.values():
        for line, value in checker.values(message, name):
            for defect in getattr(value, "defects", ()):
                if isinstance(defect, email.errors.ObsoleteHeaderDefect):
                    continue
                if checker.utf8_to and name.lower() == "to" and _non_ascii_defect(defect):
                    continue  # the UTF-8 the raw check took (the parser reads ASCII)
                checker.bad_header(f"{name}: {_describe(defect)}", line)
            for _, kind, found in placeholders(str(value), fields=name.lower() == "subject"):
                if kind != "token" and checker.sink.is_content(found):
                    continue
                what = PLACEHOLDER_KINDS[kind]
                checker.sink.add(
                    "unfilled-placeholder", f"{name}: {what} left unfilled: {show(found)}", line
                )


def _describe(defect: Exception) -> str:
    doc = (type(defect).__doc__ or type(defect).__name__).strip().splitlines()[0]
    said = str(defect).strip()
    return said if said and said != doc else doc.rstrip(".").lower()


def _list_unsubscribe(checker: _Checker, message: Message) -> tuple[str, ...]:
    """The List-Unsubscribe URIs, after checking the header and, for one-click
    unsubscribing over https, List-Unsubscribe-Post (RFC 2369, RFC 8058)."""
    sink, line = checker.sink, checker.header.line("list-unsubscribe")
    values = [value for _, value in checker.values(message, "List-Unsubscribe")]
    uris = tuple(uri.strip() for value in values for uri in _URI.findall(str(value)))
    if not values:
        sink.add("missing-unsubscribe", "no List-Unsubscribe header")
        return uris
    usable = [u for u in uris if u.lower().startswith(("https:", "mailto:")) and not url_problem(u)]
    for uri in uris:
        problem = url_problem(uri)
        if problem and not any(True for _ in placeholders(uri)):
            sink.add("missing-unsubscribe", f"List-Unsubscribe: {problem[1]}", line)
    if not usable:
        sink.add(
            "missing-unsubscribe",
            f"List-Unsubscribe has no https URL nor mailto: in angle brackets: "
            f"{show(str(values[0]))}",
            line,
        )
    if any(u.lower().startswith("https:") for u in usable):
        posts = [str(v).strip() for _, v in checker.values(message, "List-Unsubscribe-Post")]
        if [p.lower() for p in posts] != ["list-unsubscribe=one-click"]:
            found = f"it is {show(posts[0])}" if posts else "there is none"
            sink.add(
                "missing-unsubscribe",
                "an https List-Unsubscribe needs List-Unsubscribe-Post: "
                f"List-Unsubscribe=One-Click (RFC 8058); {found}",
                checker.header.line("list-unsubscribe-post") or line,
            )
    return uris


def _walk(message: Message) -> list[tuple[Message, str]]:
    """Every part, each with its parent's content type, depth-first; without
    recursion, and no deeper than MAX_DEPTH."""
    found: list[tuple[Message, str]] = []
    stack: list[tuple[Message, str, int]] = [(message, "", 0)]
    while stack:
        part, parent, depth = stack.pop()
        found.append((part, parent))
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list) and depth < MAX_DEPTH:
            kind = part.get_content_type()
            stack.extend(
                (child, kind, depth + 1)
                for child in reversed(payload)
                if isinstance(child, Message)
            )
    return found


def _check_parts(checker: _Checker, message: Message, list_urls: tuple[str, ...]) -> None:
    sink = checker.sink
    found: dict[str, tuple[Message, str, bytes]] = {}  # the first non-empty part of each
    for part, parent in _walk(message):
        kind = part.get_content_type()
        if kind not in ("text/plain", "text/html") or kind in found:
            continue
        if part.get_content_disposition() != "attachment" and (payload := _payload(part)).strip():
            found[kind] = (part, parent, payload)
    if "text/plain" not in found:
        sink.add("missing-text-part", "no text/plain part (or an empty one)")
    if "text/html" not in found:
        sink.add("missing-html-part", "no text/html part (or an empty one)")
    if len(found) == 2 and any(entry[1] != "multipart/alternative" for entry in found.values()):
        checker.bad_header(
            "the text and HTML parts are not the alternatives of one multipart/alternative",
            checker.header.line("content-type"),
        )
    for kind, (part, _, content) in found.items():
        html = kind == "text/html"
        part_sink = _part_sink(checker, part, content, "HTML part" if html else "text part")
        if html:
            check_html(
                part_sink, content, web_copy=False, declared=_charset(part), list_urls=list_urls
            )
        else:
            check_text(
                part_sink,
                content,
                web_copy=False,
                declared=_charset(part),
                fallback="us-ascii",  # RFC 2045: text that declares no charset
                list_urls=list_urls,
                long_lines=False,  # measured in the raw file
            )
        part_sink.finish()


def _payload(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    return payload if isinstance(payload, bytes) else b""


def _charset(part: Message) -> str | None:
    try:
        charset = part.get_param("charset")
    except Exception:
        return None
    if isinstance(charset, tuple):  # RFC 2231: (charset, language, value)
        charset = charset[2]
    return str(charset) if charset else None


def _part_sink(checker: _Checker, part: Message, payload: bytes, where: str) -> Sink:
    """A sink for a part's findings: lines of the file when the part's bytes stand in
    it as they are (7bit, 8bit), else lines of the decoded part."""
    offset = 0
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding in _IDENTITY and payload:
        start = checker.raw.find(payload, checker.header.body)
        if start >= 0:
            offset = checker.raw.count(b"\n", 0, start)
    return Sink(checker.sink.report, where, offset, checker.sink.content)


# Defects whose line the raw scan of the header reports already.
_RAW_DEFECTS = (
    email.errors.MissingHeaderBodySeparatorDefect,
    email.errors.FirstHeaderLineIsContinuationDefect,
    email.errors.ObsoleteHeaderDefect,  # obsolete syntax is still to be read (RFC 5322)
)


def _check_defects(checker: _Checker, message: Message) -> None:
    """What the parser noticed in the message's structure and bodies (read after the
    parts' payloads were decoded, which adds the base64 defects)."""
    try:
        parts = [part for part, _ in _walk(message)]
    except Exception:
        parts = [message]
    for part in parts:
        for defect in part.defects:
            if isinstance(defect, _ENCODING_DEFECTS):
                checker.sink.add("bad-encoding", f"the body's base64: {_describe(defect)}")
            elif not isinstance(defect, _RAW_DEFECTS):
                checker.bad_header(_describe(defect), None)
