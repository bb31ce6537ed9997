"""Digest checks of a document: the HTML and the plain text of a digest.

Both are checked as they are mailed (`web_copy=False`: an unsubscribe link must be
there) or as the public web copy that an edition folder holds (`web_copy=True`:
nobody's subscription, so no unsubscribe link). `digest_message.py` runs the same
checks on the parts of a message, through a `Sink` that says which part a finding
is in.

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

from lxml import etree
from lxml import html as lxml_html

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
_WHITESPACE = " \t\n\r\f"  # what a browser strips around an attribute's URL


def url_problem(value: str, *, mailto: bool = True, cid: bool = False) -> tuple[str, str] | None:
    """Why `value` is not a link a digest may hold, as (code, reason); None when it is:
    an absolute http(s) URL with a host, or (where allowed) a mailto: or cid: URL."""
    url = value.strip(_WHITESPACE)
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


# --- HTML -----------------------------------------------------------------------------

_RAW_RANGES = re.compile(r"<style\b.*?(?:</style\s*>|\Z)|<!--.*?(?:-->|\Z)", re.S | re.I)
_UNSUBSCRIBE_WORDS = re.compile(r"unsubscribe|\bopt[\s-]?out\b", re.I)
_FILLER = frozenset("\u034f\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")
_NOT_BODY_TEXT = frozenset({"style", "script", "title", "head"})


def check_html(
    sink: Sink,
    content: bytes,
    *,
    web_copy: bool,
    declared: str | None = None,
    list_urls: tuple[str, ...] = (),
) -> None:
    """The HTML checks of a digest, on its bytes (`declared`: a message part's charset;
    `list_urls`: the message's List-Unsubscribe URIs, which count as unsubscribe links)."""
    if len(content) > GMAIL_CLIP_BYTES:
        sink.add(
            "gmail-clipping",
            f"{len(content):,} bytes of HTML; Gmail clips a message's HTML past "
            f"102 KB ({GMAIL_CLIP_BYTES:,} bytes)",
        )
    text = decode(sink, content, declared, html=True)
    lines = Lines(text)
    ranges = [m.span() for m in _RAW_RANGES.finditer(text)]
    report_placeholders(sink, text, lines, only_tokens_in=ranges)
    try:
        parser = lxml_html.HTMLParser(encoding="utf-8", huge_tree=True)
        root = lxml_html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except Exception:  # lxml: "Document is empty", or worse
        sink.add("missing-element", "no HTML document: no element at all")
        return
    _check_links(sink, root)
    _check_images(sink, root)
    if not web_copy:
        _check_unsubscribe_link(sink, root, list_urls)
    if not _has_preheader(root):
        sink.add(
            "missing-preheader",
            "no preheader: the body does not start with hidden text (mj-preview), so "
            "inboxes preview whatever text comes first",
        )


def line_of(element: etree._Element) -> int | None:
    line: object = element.sourceline
    return line if isinstance(line, int) else None


def _check_links(sink: Sink, root: etree._Element) -> None:
    for element in root.iter("a", "area", "img"):
        name = "src" if element.tag == "img" else "href"
        value = element.get(name)
        if value is None or has_placeholder(value):
            continue  # no link (an anchor), or a placeholder reported as such
        problem = url_problem(value, mailto=name == "href", cid=name == "src")
        if problem is not None:
            code, reason = problem
            sink.add(code, f"<{element.tag} {name}>: {reason}", line_of(element))


def _check_images(sink: Sink, root: etree._Element) -> None:
    for image in root.iter("img"):
        alt = image.get("alt")
        where = f"<img src={show(image.get('src') or '')}>"
        if alt is None:
            sink.add("missing-alt", f"{where} has no alt attribute", line_of(image))
        elif not alt.strip() and not _is_spacer(image):
            sink.add(
                "missing-alt",
                f'{where} has an empty alt ("" is for 1x1 spacers and tracking pixels only)',
                line_of(image),
            )


def _style(element: etree._Element) -> dict[str, str]:
    declarations = {}
    for declaration in (element.get("style") or "").split(";"):
        name, _, value = declaration.partition(":")
        value = value.lower().replace("!important", "")
        declarations[name.strip().lower()] = "".join(value.split())
    return declarations


_PIXELS = re.compile(r"(\d+(?:\.\d*)?)(?:px)?")


def _is_spacer(image: etree._Element) -> bool:
    """An image that shows nothing: 1x1 or smaller by its attributes or style, or not
    displayed. Such an image is decoration, and alt="" keeps screen readers quiet."""
    style = _style(image)
    if style.get("display") == "none":
        return True
    for side in ("width", "height"):
        value = "".join((image.get(side) or style.get(side) or "").split()).lower()
        match = _PIXELS.fullmatch(value)
        if match is None or float(match.group(1)) > 1:
            return False
    return True


def _check_unsubscribe_link(sink: Sink, root: etree._Element, list_urls: tuple[str, ...]) -> None:
    broken = None
    for link in root.iter("a"):
        href = (link.get("href") or "").strip(_WHITESPACE)
        said = (
            _UNSUBSCRIBE_WORDS.search("".join(t for t in link.itertext() if isinstance(t, str)))
            or "unsubscribe" in href.lower()
        )
        if not (said or href in list_urls):
            continue
        if has_placeholder(href) or url_problem(href) is None:
            return  # a placeholder is reported as such
        if broken is None:
            broken = link
    message = "no unsubscribe link in the body"
    if broken is not None:
        message += f" that works: the one at line {line_of(broken)} is not an absolute URL"
    sink.add("missing-unsubscribe", message)


def _is_hidden(element: etree._Element | None) -> bool:
    while element is not None:
        style = _style(element)
        if (
            element.get("hidden") is not None
            or style.get("display") == "none"
            or style.get("visibility") == "hidden"
            or style.get("opacity") in ("0", "0.0")
            or (style.get("max-height") in ("0", "0px") and style.get("overflow") == "hidden")
        ):
            return True
        element = element.getparent()
    return False


def _texts(root: etree._Element) -> Iterator[tuple[str, etree._Element | None]]:
    """Each piece of text under `root` in document order, with the element that holds
    it; without recursion, which a deeply nested document would exhaust."""
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        element, closing = stack.pop()
        if closing:
            if element is not root and element.tail:
                yield element.tail, element.getparent()
            continue
        stack.append((element, True))
        if isinstance(element.tag, str) and element.tag not in _NOT_BODY_TEXT:
            if element.text:
                yield element.text, element
            stack.extend((child, False) for child in reversed(element))


def _has_preheader(root: etree._Element) -> bool:
    """Whether the first text of the body, past spaces and the invisible characters
    that pad a preheader, is hidden: what mj-preview writes, a hidden div first."""
    body = root.find("body")
    if body is None:
        return False
    for text, holder in _texts(body):
        if any(not (c.isspace() or c in _FILLER) for c in text):
            return _is_hidden(holder)
    return False


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
    saying = {lines.at(m.start())[0] for m in _UNSUBSCRIBE_WORDS.finditer(text)}
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


# --- the public checks --------------------------------------------------------------


def validate_digest_html(
    content: bytes, path: str, *, web_copy: bool = False, records: tuple[str, ...] = ()
) -> FileReport:
    """A digest's HTML as mailed, or (`web_copy`) an edition's web page. `records`: the
    text of the records it was made from, where placeholder-like text is content."""
    report = FileReport(path, "digest-html")
    sink = Sink(report, content=records)
    check_html(sink, content, web_copy=web_copy)
    sink.finish()
    return report


def validate_digest_text(
    content: bytes, path: str, *, web_copy: bool = False, records: tuple[str, ...] = ()
) -> FileReport:
    """A digest's plain text as mailed, or (`web_copy`) an edition's digest.txt."""
    report = FileReport(path, "digest-text")
    sink = Sink(report, content=records)
    check_text(sink, content, web_copy=web_copy)
    sink.finish()
    return report
