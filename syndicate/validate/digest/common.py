"""What the digest checks share: where findings go (`Sink`), lines of a document,
decoding that never fails, the placeholders a template may leave, and the URL rules
of a mailed link.

The checks never raise on what a file holds: undecodable bytes are reported and
replaced, broken HTML is read as browsers read it (lxml recovers).
"""

from __future__ import annotations

import bisect
import codecs
import html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from syndicate.digests.render import TOKENS
from syndicate.validate.report import FileReport

GMAIL_CLIP_BYTES = 102 * 1024  # Gmail clips a message whose HTML is larger
MAX_LINE_BYTES = 998  # RFC 5322, CRLF excluded
FINDINGS_PER_CODE = 50  # in one document; past that, one finding counts the rest


@dataclass
class Sink:
    """Where the findings of one document go: `where` names a part of a message,
    `offset` is the number of lines before the document in the file (0 when line
    numbers are within the document itself)."""

    report: FileReport
    where: str = ""
    offset: int = 0
    content: tuple[str, ...] = ()  # text the digest was made from (see `is_content`)
    _counts: Counter[str] = field(default_factory=Counter)

    def is_content(self, found: str) -> bool:
        """Whether placeholder-like text is in the records (an article about templates
        may be titled "{{ x }}"): written there by a person, it is no leftover."""
        return any(found in text or found in html.escape(text) for text in self.content)

    def add(
        self, code: str, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        self._counts[code] += 1
        if self._counts[code] > FINDINGS_PER_CODE:
            return
        if self.where:
            message = f"in the {self.where}: {message}"
        self.report.add(code, message, None if line is None else line + self.offset, column)

    def finish(self) -> None:
        """One finding for each code that had more than FINDINGS_PER_CODE."""
        for code, count in self._counts.items():
            if count > FINDINGS_PER_CODE:
                rest = count - FINDINGS_PER_CODE
                self.report.add(code, f"{rest} more like the above {self._in()}not listed")

    def _in(self) -> str:
        return f"in the {self.where} " if self.where else ""


def show(value: str, limit: int = 80) -> str:
    """A value quoted for a message, cut short: hostile files have long values."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


class Lines:
    """Line and column (1-based) of an offset in a text."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1


# --- decoding ---------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


def codec_name(label: str) -> str | None:
    """Python's name for an encoding label, or None when it is not a text encoding."""
    try:
        info = codecs.lookup(label.strip())
        if not getattr(info, "_is_text_encoding", True):
            return None  # base64, rot13...: codecs, not encodings
        return info.name
    except (LookupError, ValueError, TypeError):
        return None


def decode(
    sink: Sink,
    content: bytes,
    declared: str | None,
    *,
    html: bool = False,
    fallback: str = "utf-8",
) -> str:
    """The text of `content`, newlines made LF: a byte order mark first, else the
    declared charset (a message part's), else an HTML document's <meta charset>,
    else `fallback`. Bytes not valid in that encoding are reported and replaced."""
    label = declared
    if label is None and html:
        match = _META_CHARSET.search(content[:1024])
        label = match.group(1).decode("ascii") if match else None
    encoding, body, how = None, content, f"{fallback} (none is declared)"
    for bom, name in _BOMS:
        if content.startswith(bom):
            encoding, body, how = name, content[len(bom) :], f"{name} (its byte order mark)"
            if label and not name.startswith(codec_name(label) or "?"):
                sink.add(
                    "encoding-mismatch",
                    f"the charset is {show(label)} but the bytes start with a {name} "
                    "byte order mark, which wins",
                    1,
                )
            break
    else:
        # An HTML document cannot declare UTF-16 in itself: browsers read UTF-8.
        if declared is None and label and (codec_name(label) or "").startswith("utf-16"):
            label = "utf-8"
        if label:
            encoding, how = codec_name(label), f"{label} (the declared charset)"
            if encoding is None:
                sink.add("unknown-encoding", f"{show(label)} is not an encoding a reader knows")
                how = f"{fallback} (read instead)"
    encoding = encoding or fallback
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        byte = body[exc.start : exc.start + 1].hex()
        sink.add("bad-encoding", f"byte 0x{byte} is not valid {how}; it reads as U+FFFD", line)
        text = body.decode(encoding, errors="replace")
    except Exception:  # a codec that fails otherwise: read as UTF-8
        text = body.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- placeholders ------------------------------------------------------------------

_PLACEHOLDER = re.compile(
    "|".join(
        [
            r"(?P<jinja>\{\{.{0,200}?\}\}|\{%.{0,200}?%\}|\{#.{0,200}?#\})",
            "(?P<token>" + "|".join(map(re.escape, TOKENS)) + ")",
            # Mailchimp *|FNAME|*; Salesforce %%name%%, %%=v(@x)=%% and %%[ ... ]%%
            r"(?P<merge>\*\|[A-Za-z0-9_:-]{1,60}\|\*"
            r"|%%(?:[A-Za-z_][\w.:-]{0,60}|=.{0,200}?=|\[.{0,200}?\])%%)",
            r"(?P<field>\{(?:site|date|edition)(?:![rsa])?(?::[^{}\n]{0,40})?\})",
        ]
    ),
    re.S,
)
PLACEHOLDER_KINDS = {
    "jinja": "Jinja template syntax",
    "token": "a slot that is filled for each subscriber",
    "merge": "a mail-merge tag",
    "field": "a format field of digest.subject",
}


def placeholders(text: str, *, fields: bool = True) -> Iterator[tuple[int, str, str]]:
    """Each placeholder left in `text`: offset, what it is, the text of it."""
    for match in _PLACEHOLDER.finditer(text):
        kind = match.lastgroup or "jinja"
        if kind != "field" or fields:
            yield match.start(), kind, match.group()


def has_placeholder(text: str) -> bool:
    return next(placeholders(text), None) is not None


def report_placeholders(
    sink: Sink,
    text: str,
    lines: Lines,
    *,
    fields: bool = True,
    only_tokens_in: list[tuple[int, int]] | None = None,
) -> None:
    """`only_tokens_in`: ranges (CSS, comments) where braces are not template syntax,
    and only a slot token counts."""
    skipped = only_tokens_in or []
    starts = [start for start, _ in skipped]
    for offset, kind, found in placeholders(text, fields=fields):
        index = bisect.bisect_right(starts, offset) - 1
        if kind != "token" and index >= 0 and offset < skipped[index][1]:
            continue
        if kind != "token" and sink.is_content(found):
            continue
        line, column = lines.at(offset)
        sink.add(
            "unfilled-placeholder",
            f"{PLACEHOLDER_KINDS[kind]} left unfilled: {show(found)}",
            line,
            column,
        )


# --- URLs ---------------------------------------------------------------------------

_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_BAD_HOST = re.compile(r"[\s\x00-\x1f\x7f<>^|\"{}\\`%@/?#]")
WHITESPACE = " \t\n\r\f"  # what a browser strips around an attribute's URL


def url_problem(value: str, *, mailto: bool = True, cid: bool = False) -> tuple[str, str] | None:
    """Why `value` is not a link a digest may hold, as (code, reason); None when it is:
    an absolute http(s) URL with a host, or (where allowed) a mailto: or cid: URL."""
    url = value.strip(WHITESPACE)
    if not url:
        return "relative-url", "an empty URL"
    if url.startswith("#"):
        return "relative-url", f"a link within the page, {show(url)}, not an absolute URL"
    if _SPACE_OR_CONTROL.search(url):
        return "bad-url", f"a space or control character in {show(url)}"
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if not scheme:
            what = "protocol-relative" if url.startswith("//") else "relative"
            return "relative-url", f"{show(url)} is {what}: mail clients have no page to resolve it"
        if scheme in ("http", "https"):
            host = parts.hostname or ""
            parts.port  # noqa: B018  (raises ValueError for a bad port)
            if not host or _BAD_HOST.search(host) or ".." in host or host.startswith("."):
                return "bad-url", f"{show(url)} has no valid host"
            return None
    except ValueError as exc:
        return "bad-url", f"{show(url)} is malformed: {exc}"
    if scheme == "mailto" and mailto:
        return None if "@" in parts.path else ("bad-url", f"{show(url)} has no address")
    if scheme == "cid" and cid:
        return None
    return "bad-url", f"{show(url)} is a {scheme}: URL, not an http(s) link"
