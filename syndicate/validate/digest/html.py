"""Digest checks of an HTML document, as mailed (`web_copy=False`: an unsubscribe link
must be there) or as the public web copy an edition folder holds (`web_copy=True`:
nobody's subscription, so no unsubscribe link). `message.py` runs the same
checks on a message's HTML part, through a `Sink` that says which part a finding is in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from lxml import html as lxml_html

from syndicate.validate.digest.common import (
    GMAIL_CLIP_BYTES,
    WHITESPACE,
    Lines,
    Sink,
    decode,
    has_placeholder,
    report_placeholders,
    show,
    url_problem,
)
from syndicate.validate.report import FileReport

# --- HTML -----------------------------------------------------------------------------

_RAW_RANGES = re.compile(r"<style\b.*?(?:</style\s*>|\Z)|<!--.*?(?:-->|\Z)", re.S | re.I)
UNSUBSCRIBE_WORDS = re.compile(r"unsubscribe|\bopt[\s-]?out\b", re.I)
_FILLER = frozenset("\u034f\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")
_NOT_BODY_TEXT = frozenset({"style", "script", "title", "head"})


def check_html(
    sink: Sink,
    content: bytes,
    *,
    web_copy: bool,
    declared: str | None = None,
    list_urls: tuple[str, ...] = (),
    archive: bool = False,
) -> None:
    """The HTML checks of a digest, on its bytes (`declared`: a message part's charset;
    `list_urls`: the message's List-Unsubscribe URIs, which count as unsubscribe links;
    `archive`: the archive page, a web page only, which no inbox shows or clips)."""
    if len(content) > GMAIL_CLIP_BYTES and not archive:
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
    if not archive and not _has_preheader(root):
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
        href = (link.get("href") or "").strip(WHITESPACE)
        said = (
            UNSUBSCRIBE_WORDS.search("".join(t for t in link.itertext() if isinstance(t, str)))
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


def validate_digest_html(
    content: bytes,
    path: str,
    *,
    web_copy: bool = False,
    records: tuple[str, ...] = (),
    archive: bool = False,
) -> FileReport:
    """A digest's HTML as mailed, or (`web_copy`) an edition's web page. `records`: the
    text of the records it was made from, where placeholder-like text is content."""
    report = FileReport(path, "digest-html")
    sink = Sink(report, content=records)
    check_html(sink, content, web_copy=web_copy or archive, archive=archive)
    sink.finish()
    return report
