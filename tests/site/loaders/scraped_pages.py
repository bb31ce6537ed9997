"""Builders of made-up scraped pages, shared by the importer's tests."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from pathlib import Path

from syndicate.errors import Problem
from syndicate.site.loaders.scraped import ScrapeRules, load_scraped
from syndicate.site.records import RawArticle, Source

# The project's checkout sits beside shared/; SYNDICATE_SEEDS points elsewhere.
SEEDS = Path(
    os.environ.get("SYNDICATE_SEEDS") or Path(__file__).parents[3].parent / "shared" / "seeds"
)
SEED = SEEDS / "000_e738584affd771fc.txt"
FILE = "articles/world/harbour.txt"

# Characters XML 1.0 forbids (lone surrogates included); everything else must survive.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FORBIDDEN_SAMPLES = [
    *(chr(c) for c in range(0x00, 0x09)),
    "\x0b",
    "\x0c",
    *(chr(c) for c in range(0x0E, 0x20)),
    "\ufffe",
    "\uffff",
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
]

BANNER = "We use cookies to make this site work. Got it Learn more"
BANNER_LINES = (
    "This site stores cookies to remember your choices.",
    "Change your mind at any time on the settings page.",
    "Accept all",
    "Learn more",
)
PARAS = ("The harbour reopened on Monday.", "Ferries will run every hour.")


def page(
    headline: str = "Harbour Reopens After Storm",
    section: str = "World",
    site: str = "harbour-courier.example",
    paragraphs: Sequence[str] = PARAS,
    related: Sequence[str] | None = None,
    boilerplate: Sequence[str] = (BANNER,),
    *,
    repeats: int = 2,
    related_gap: str = "\n\n",
    newline: str = "\n",
    header: str | None = None,
) -> str:
    """A scraped page: header, repeated headline, paragraphs, related block, boilerplate."""
    parts = [header if header is not None else f"{headline} | {section} | {site}", ""]
    for _ in range(repeats):
        parts += [headline, ""]
    for paragraph in paragraphs:
        parts += [paragraph, ""]
    if related is not None:
        parts += ["Related posts", ""]
        if related:
            parts.append(related_gap.join(related))
            parts.append("")
    if boilerplate:
        parts += ["", "\n".join(boilerplate)]
    return newline.join("\n".join(parts).split("\n"))


def load(
    text: str,
    rules: ScrapeRules | None = None,
    warnings: list[Problem] | None = None,
    file: str = FILE,
) -> RawArticle:
    return load_scraped(
        text,
        Source(file, 1),
        "world/harbour",
        rules or ScrapeRules.build(),
        [] if warnings is None else warnings,
    )


def paragraphs_of(body: str) -> list[str]:
    """The text of each `<p>` of a body, unescaped; fails on anything but `<p>` lines."""
    found = []
    for line in body.split("\n"):
        match = re.fullmatch(r"<p>([^<>]*)</p>", line)
        assert match, f"not a plain <p> line: {line!r}"
        found.append(html.unescape(match.group(1)))
    return found


def titles(article: RawArticle) -> list[str]:
    assert all(ref.kind == "title" for ref in article.related)
    return [ref.value for ref in article.related]
