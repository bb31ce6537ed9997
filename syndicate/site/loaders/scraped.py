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

from syndicate._util.text import normalised_title, one_line, xml_safe
from syndicate.errors import Problem, RecordError
from syndicate.site.records import RawArticle, RelatedRef, Source

_BUTTON = r"(?:accept(?: all(?: cookies)?)?|reject(?: all)?|decline|i agree|agree|got it|ok(?:ay)?|"
_BUTTON += (
    r"read more|learn more|more info|cookie settings|manage (?:settings|preferences|cookies)|"
)
_BUTTON += r"privacy policy|close|dismiss|opt[ -]out)"
# Every pattern stays on one line ('[^\S\n]' is a space that is not a newline) and
# can match a stretch of text in one way only: no pattern may take quadratic or
# exponential time on a page of 10,000 blank lines or 'ok ok ok ...'.
_H = r"[^\S\n]"
_LABELS = rf"{_BUTTON}(?:(?:{_H}*[|·•/]{_H}*|{_H}+){_BUTTON})*(?:{_H}*!)?{_H}*$"
# Defaults cover what scraped news pages carry around the article; anchored on
# whole lines so that a story that mentions cookies keeps its paragraph.
DEFAULT_BOILERPLATE: tuple[str, ...] = (
    # A one-line consent banner: mentions cookies or consent, and after the end of a
    # sentence has nothing but button labels ('... if you wish. Accept Read More').
    # A story's "... should not close." or "... she said. OK." is no banner.
    rf"^(?=[^\n]*\b(?:cookies?|consent|gdpr)\b)[^\n]*[.!?]{_H}+{_LABELS}",
    # Button labels and nothing else.
    rf"^{_H}*{_LABELS}",
    rf"^{_H}*(?:share(?: this(?: article| story| post)?)?(?: on \w+)?|tweet|print(?: this)?|"
    rf"email){_H}*(?::{_H}*)?$",
    rf"^{_H}*(?:advertisement|sponsored(?: content)?|ad){_H}*$",
    rf"^{_H}*(?:©|\(c\)|copyright(?:{_H}*(?:©|\(c\)))?{_H}*\d{{4}}).{{0,200}}$",
    rf"^{_H}*all rights reserved\.?{_H}*$",
    rf"^{_H}*(?:subscribe to|sign up for) (?:our|the) newsletter\b.{{0,200}}$",
    rf"^{_H}*skip to (?:main )?content{_H}*$",
    # A share widget's buttons, each on a line of its own ('Facebook', 'X (Twitter)').
    rf"^{_H}*(?:facebook|x|x \(twitter\)|twitter|linkedin|whatsapp|telegram|reddit|"
    rf"pinterest|tumblr|pocket|threads|bluesky|mastodon|messenger|more|"
    rf"like this:?|like loading\.*|loading\.\.\.){_H}*$",
    # A footer of site links: 'Privacy Policy | Terms of Use | Contact Us'.
    rf"^{_H}*(?:privacy policy|terms of (?:use|service)|cookie policy|contact us|about us|"
    rf"advertise(?: with us)?|sitemap)(?:{_H}*[|·•]{_H}*(?:privacy policy|terms of "
    rf"(?:use|service)|cookie policy|contact us|about us|advertise(?: with us)?|sitemap))*"
    rf"{_H}*$",
)
_RELATED_HEADING = re.compile(
    r"^\s*(?:related(?: posts| articles| stories| news| content| reading)?|more on this story|"
    r"you may also like|see also|read next)\s*(?::\s*)?$",
    re.IGNORECASE,
)
_COOKIE_WORD = re.compile(r"\b(?:cookies?|consent|gdpr)\b", re.IGNORECASE)
# Words of a consent banner's other lines ('We value your privacy').
_BANNER_WORD = re.compile(
    r"\b(?:cookies?|consent|gdpr|privacy|personal data|partners|your (?:data|device|experience))\b",
    re.IGNORECASE,
)
# A line that ends in button labels: only labels, or a sentence and then labels.
_ENDS_IN_BUTTONS = re.compile(rf"(?:^|[.!?]){_H}*{_LABELS}", re.IGNORECASE)
_ONLY_BUTTONS = re.compile(rf"^{_H}*{_LABELS}", re.IGNORECASE)
_BANNER_LINES = 8  # a banner is a few lines, never a story
_SENTENCE_GAP = re.compile(r"[.!?]\s+\S")


@dataclass(frozen=True)
class ScrapeRules:
    """Boilerplate patterns, compiled once per run."""

    patterns: tuple[re.Pattern[str], ...]
    # Drop a consent banner split over several lines at the end (a default rule).
    banner: bool = True

    @classmethod
    def build(cls, extra: Sequence[str] = (), *, keep_defaults: bool = True) -> ScrapeRules:
        sources = (list(DEFAULT_BOILERPLATE) if keep_defaults else []) + list(extra)
        flags = re.IGNORECASE | re.MULTILINE
        return cls(tuple(re.compile(p, flags) for p in sources), banner=keep_defaults)


def load_scraped(
    text: str, source: Source, fallback_id: str, rules: ScrapeRules, warnings: list[Problem]
) -> RawArticle:
    """One scraped page; raises `RecordError` naming the file for a page with no article."""
    file = source.file
    # `decode` has done this for files; text from elsewhere may still carry CR or a BOM.
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = [xml_safe(line) for line in text.split("\n")]
    last_line = max(1, len(lines) - (1 if len(lines) > 1 and not lines[-1].strip() else 0))
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise RecordError(
            "empty page: no headline and no article", file=file, line=1, field="title"
        )
    headline, section, site = _header(lines[first], file, first + 1, warnings)
    rest = lines[first + 1 :]
    offset = first + 2  # line number of rest[0]

    skip = _repeated_headline(rest, headline)
    dropped = _boilerplate_lines(rest, rules)
    heading = next(
        (i for i in range(len(rest) - 1, skip - 1, -1) if _RELATED_HEADING.match(rest[i])), None
    )
    if rules.banner:
        dropped |= _trailing_banner(rest, skip if heading is None else heading + 1, dropped)
    body_end = len(rest) if heading is None else heading
    paragraphs = _paragraphs(rest, skip, body_end, dropped)
    if not paragraphs:
        raise RecordError(
            "no article body after the headline (only boilerplate or nothing)",
            file=file,
            line=min(offset + skip, last_line),
            field="body",
        )
    related: list[RelatedRef] = []
    if heading is not None:
        for title, line in _related_titles(rest, heading + 1, dropped, file, offset, warnings):
            related.append(RelatedRef("title", title, line=line))
    body = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    body_line = next(i for i in range(skip, body_end) if rest[i].strip() and i not in dropped)
    field_lines = [(name, first + 1) for name in ("title", "section", "site")]
    field_lines.append(("body", offset + body_line))
    if heading is not None:
        field_lines.append(("related", offset + heading))
    return RawArticle(
        source=Source(file, first + 1),
        title=headline,
        body=body,
        section=section,
        site=site,
        related=tuple(related),
        field_lines=tuple(field_lines),
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


def _trailing_banner(lines: list[str], start: int, dropped: set[int]) -> set[int]:
    """Lines of a consent banner that ends the page, perhaps split over several lines.

    The page ends in button labels (on lines of their own, or after the banner's last
    sentence); the block of text just above them mentions cookies or consent within
    a few lines. The banner runs from that line down, and up over lines just above
    it that speak of privacy. Anything else is left alone.
    """
    index = len(lines) - 1
    # Other boilerplate (a copyright line, say) may follow the banner.
    while index >= start and (
        not lines[index].strip() or (index in dropped and not _ENDS_IN_BUTTONS.search(lines[index]))
    ):
        index -= 1
    if index < start or not _ENDS_IN_BUTTONS.search(lines[index]):
        return set()
    found: set[int] = set()
    while index >= start and (not lines[index].strip() or _ONLY_BUTTONS.match(lines[index])):
        if lines[index].strip():
            found.add(index)
        index -= 1
    block_end = index
    while index >= start and lines[index].strip() and block_end - index < _BANNER_LINES:
        if _COOKIE_WORD.search(lines[index]):
            while index - 1 >= start and _BANNER_WORD.search(lines[index - 1]):
                index -= 1
            return found | set(range(index, block_end + 1))
        index -= 1
    return set()


def _related_titles(
    lines: list[str],
    start: int,
    dropped: set[int],
    file: str,
    offset: int,
    warnings: list[Problem],
) -> list[tuple[str, int]]:
    """Each related title with its line number."""
    titles: list[tuple[str, int]] = []
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
        if after_gap and (_is_prose(title) or len(title.split()) > 30):
            warnings.append(
                Problem(
                    "text after the related posts looks like boilerplate; dropped",
                    file=file,
                    line=offset + index,
                )
            )
            continue
        titles.append((title, offset + index))
    return titles


def _is_prose(line: str) -> bool:
    """More than one sentence: a sentence ends inside the line, and so does the line."""
    return line[-1:] in (".", "!", "?") and bool(_SENTENCE_GAP.search(line, 0, len(line) - 1))
