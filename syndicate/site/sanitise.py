"""HTML from outside (record bodies) made safe, and plain text taken out of it."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import nh3

from syndicate._util.text import one_line, xml_safe

_URL_ATTRIBUTES = frozenset({"href", "src", "cite", "longdesc"})
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def sanitise_html(body: str, base_url: str) -> str:
    """Keep safe markup only; make every link and image URL absolute against `base_url`."""

    def absolutise(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in _URL_ATTRIBUTES:
            return value
        absolute = urljoin(base_url, value.strip())
        if urlsplit(absolute).scheme not in ("http", "https", "mailto"):
            return None
        return absolute

    cleaned = nh3.clean(
        xml_safe(body),
        attribute_filter=absolutise,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    # nh3 decodes character references (&#1;), so clean again after it.
    return xml_safe(cleaned).strip()


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, on one line, entities decoded."""
    stripped = nh3.clean(fragment, tags=set(), clean_content_tags={"script", "style"})
    return one_line(html.unescape(stripped))


def first_paragraph_text(body: str) -> str:
    """Text of the first non-empty paragraph of sanitised HTML (or of all of it)."""
    for match in _PARAGRAPH.finditer(nh3.clean(body, tags={"p"})):
        text = plain_text(match.group(1))
        if text:
            return text
    return plain_text(_TAG.sub(" ", body))


def shorten(text: str, limit: int = 280) -> str:
    """At most `limit` characters, cut at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-\u2013\u2014")
    return (cut or text[: limit - 1]) + "…"
