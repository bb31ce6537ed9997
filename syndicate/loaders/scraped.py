"""`*.txt` pages scraped from a news site (SPEC section 2, the format of `seeds/`).

    Headline | Section | site-domain
    <blank>
    Headline            (repeated, once or more)
    <blank>
    Paragraph           (blocks separated by blank lines)
    ...
    Related posts
    <blank>
    Title               (one per line)
    ...
    Cookie banner and other boilerplate

Everything here is text, never markup: a `<b>` in a headline stays literally `<b>`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from syndicate.errors import Problem, RecordError
from syndicate.records import RawArticle, RelatedRef, Source
from syndicate.text import normalised_title, one_line, xml_safe

_BUTTON = r"(?:accept(?: all(?: cookies)?)?|reject(?: all)?|decline|i agree|agree|got it|ok(?:ay)?|"
_BUTTON += (
    r"read more|learn more|more info|cookie settings|manage (?:settings|preferences|cookies)|"
)
_BUTTON += r"privacy policy|close|dismiss|opt[ -]out)"
# Defaults cover what scraped news pages carry around the article; anchored on
# whole lines so that a story that mentions cookies keeps its paragraph.
DEFAULT_BOILERPLATE: tuple[str, ...] = (
    # A consent banner: mentions cookies or consent and ends in button labels.
    rf"^.*\b(?:cookies?|consent|gdpr)\b.*[.!]?\s+{_BUTTON}(?:\s+{_BUTTON})*\s*[.!]?\s*$",
    # Two or more button labels and nothing else.
    rf"^\s*{_BUTTON}(?:\s*[|·•/]?\s*{_BUTTON})*\s*$",
    r"^\s*(?:share(?: this(?: article| story| post)?)?(?: on \w+)?|tweet|print(?: this)?|email)"
    r"\s*:?\s*$",
    r"^\s*(?:advertisement|sponsored(?: content)?|ad)\s*$",
    r"^\s*(?:©|\(c\)|copyright\s*(?:©|\(c\))?\s*\d{4}).{0,200}$",
    r"^\s*all rights reserved\.?\s*$",
    r"^\s*(?:subscribe to|sign up for) (?:our|the) newsletter\b.{0,200}$",
    r"^\s*skip to (?:main )?content\s*$",
)
_RELATED_HEADING = re.compile(
    r"^\s*(?:related(?: posts| articles| stories| news| content| reading)?|more on this story|"
    r"you may also like|see also|read next)\s*:?\s*$",
    re.IGNORECASE,
)
_COOKIE_WORD = re.compile(r"\b(?:cookies?|consent|gdpr)\b", re.IGNORECASE)
_PROSE = re.compile(r"[.!?]\s+\S.*[.!?]\s*$")


@dataclass(frozen=True)
class ScrapeRules:
    """Boilerplate patterns, compiled once per run."""

    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def build(cls, extra: Sequence[str] = (), *, keep_defaults: bool = True) -> ScrapeRules:
        sources = (list(DEFAULT_BOILERPLATE) if keep_defaults else []) + list(extra)
        flags = re.IGNORECASE | re.MULTILINE
        return cls(tuple(re.compile(p, flags) for p in sources))


def load_scraped(
    text: str, source: Source, fallback_id: str, rules: ScrapeRules, warnings: list[Problem]
) -> RawArticle:
    """One scraped page; raises `RecordError` naming the file for a page with no article."""
    file = source.file
    lines = [xml_safe(line) for line in text.split("\n")]
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise RecordError("empty page: no article in it", file=file, line=1)
    headline, section, site = _header(lines[first], file, first + 1, warnings)
    rest = lines[first + 1 :]
    offset = first + 2  # line number of rest[0]

    skip = _repeated_headline(rest, headline)
    dropped = _boilerplate_lines(rest, rules)
    heading = next(
        (i for i in range(len(rest) - 1, skip - 1, -1) if _RELATED_HEADING.match(rest[i])), None
    )
    body_end = len(rest) if heading is None else heading
    paragraphs = _paragraphs(rest, skip, body_end, dropped)
    if heading is None and paragraphs:
        paragraphs = _without_trailing_banner(paragraphs)
    if not paragraphs:
        raise RecordError(
            "no article body after the headline (only boilerplate or nothing)",
            file=file,
            line=offset + skip,
            field="body",
        )
    related: list[RelatedRef] = []
    if heading is not None:
        for title in _related_titles(rest, heading + 1, dropped, file, offset, warnings):
            related.append(RelatedRef("title", title))
    body = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    return RawArticle(
        source=Source(file, first + 1),
        title=headline,
        body=body,
        section=section,
        site=site,
        related=tuple(related),
        fallback_id=fallback_id,
    )


def _header(
    line: str, file: str, number: int, warnings: list[Problem]
) -> tuple[str, str | None, str | None]:
    parts = [one_line(part) for part in line.rsplit("|", 2)]
    if len(parts) == 2:
        # Two parts: 'Headline | site.example' or 'Headline | Section'.
        last = parts[1]
        is_site = bool(re.fullmatch(r"[\w.-]+\.[\w-]+", last))
        parts = [parts[0], "", last] if is_site else [parts[0], last, ""]
    if len(parts) != 3 or not parts[0]:
        raise RecordError(
            "first line must be 'Headline | Section | site-domain'",
            file=file,
            line=number,
            field="title",
        )
    headline, section, site = parts
    if site and not re.fullmatch(r"[^\s/|]+", site):
        warnings.append(
            Problem(f"not a site domain, ignored: {site!r}", file=file, line=number, field="site")
        )
        site = ""
    return headline, section or None, site or None


def _repeated_headline(lines: list[str], headline: str) -> int:
    """Index of the first line after the blank lines and repeats of the headline."""
    wanted = normalised_title(headline) or one_line(headline)
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip() and (normalised_title(line) or one_line(line)) != wanted:
            break
        index += 1
    return index


def _boilerplate_lines(lines: list[str], rules: ScrapeRules) -> set[int]:
    """Indexes of every line that a boilerplate match touches (patterns may span lines)."""
    text = "\n".join(lines)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    dropped: set[int] = set()
    for pattern in rules.patterns:
        for match in pattern.finditer(text):
            if match.end() == match.start():
                continue  # an empty match touches nothing
            first = _line_at(starts, match.start())
            last = _line_at(starts, max(match.start(), match.end() - 1))
            dropped.update(range(first, last + 1))
    return dropped


def _line_at(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high - 1:
        middle = (low + high) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle
    return low


def _paragraphs(lines: list[str], start: int, end: int, dropped: set[int]) -> list[str]:
    paragraphs: list[str] = []
    block: list[str] = []
    for index in range(start, end):
        line = lines[index]
        if not line.strip():
            if block:
                paragraphs.append(" ".join(block))
                block = []
            continue
        if index not in dropped:
            block.append(line.strip())
    if block:
        paragraphs.append(" ".join(block))
    return paragraphs


def _without_trailing_banner(paragraphs: list[str]) -> list[str]:
    """Drop a consent banner that ends a page with no related block."""
    while paragraphs and _COOKIE_WORD.search(paragraphs[-1]) and len(paragraphs) > 1:
        tail = paragraphs[-1].casefold()
        if not re.search(r"\b(accept|agree|read more|opt[ -]out|settings)\b", tail):
            break
        paragraphs = paragraphs[:-1]
    return paragraphs


def _related_titles(
    lines: list[str],
    start: int,
    dropped: set[int],
    file: str,
    offset: int,
    warnings: list[Problem],
) -> list[str]:
    titles: list[str] = []
    blank_run = 0
    after_gap = False
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.strip():
            blank_run += 1
            continue
        if blank_run >= 2 and titles:
            after_gap = True
        blank_run = 0
        if index in dropped:
            continue
        title = one_line(line)
        # Past a double blank line, prose is the site's footer, not a title.
        if after_gap and (_PROSE.search(title) or len(title.split()) > 30):
            warnings.append(
                Problem(
                    "text after the related posts looks like boilerplate; dropped",
                    file=file,
                    line=offset + index,
                )
            )
            continue
        titles.append(title)
    return titles
