"""Which stories an edition carries, grouped by section in the site's order."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from syndicate.errors import ConfigError
from syndicate.site.records import Article

# A first edition carries at most this many of the newest stories, not the archive.
FIRST_EDITION_STORIES = 30
_WINDOW = re.compile(r"([1-9][0-9]*)([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True, slots=True)
class SectionBlock:
    name: str
    stories: tuple[Article, ...]  # newest first


@dataclass(frozen=True, slots=True)
class DigestEdition:
    """One edition: its id, when it was made, and its stories by section."""

    edition_id: str
    created_at: datetime
    sections: tuple[SectionBlock, ...]

    @property
    def stories(self) -> tuple[Article, ...]:
        return tuple(story for block in self.sections for story in block.stories)

    def for_sections(self, chosen: frozenset[str] | None) -> DigestEdition:
        """The edition as a subscriber who chose `chosen` sections (None: all) gets it."""
        if chosen is None:
            return self
        keep = {name.casefold() for name in chosen}
        blocks = tuple(block for block in self.sections if block.name.casefold() in keep)
        return DigestEdition(self.edition_id, self.created_at, blocks)


def window_start(window: str, now: datetime) -> datetime:
    """The start of a window such as '7d', '12h' or '2w' that ends `now`."""
    match = _WINDOW.fullmatch(window)
    if match is None:
        raise ValueError(f"not a window such as '7d', '12h' or '2w': {window!r}")
    return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def select_stories(
    articles: Sequence[Article],
    *,
    window_from: datetime | None,
    first_edition_at: datetime | None = None,
    sent: frozenset[str] = frozenset(),
) -> list[Article]:
    """The stories of the next edition, newest first.

    With a window: those published in it that no edition has carried yet (so that
    publishing twice in a week does not send the week twice). Otherwise every story
    not yet sent in an edition and first seen since the first edition, however it
    is dated: a story imported late still goes out, once. A first edition takes the
    newest stories, not the whole archive.
    """

    def newest_first(stories: Iterable[Article]) -> list[Article]:
        return sorted(stories, key=lambda a: (a.published, a.id), reverse=True)

    # Chosen first, then sorted: a site of 10,000 stories sorts only the few new ones.
    if window_from is not None:
        return newest_first(a for a in articles if a.published >= window_from and a.id not in sent)
    if first_edition_at is None:
        return newest_first(articles)[:FIRST_EDITION_STORIES]
    return newest_first(a for a in articles if a.id not in sent and a.first_seen > first_edition_at)


def make_edition(
    stories: Sequence[Article], sections: Sequence[str], edition_id: str, created_at: datetime
) -> DigestEdition:
    blocks = []
    for name in sections:
        members = tuple(story for story in stories if story.section == name)
        if members:
            blocks.append(SectionBlock(name, members))
    return DigestEdition(edition_id, created_at, tuple(blocks))


def next_edition_id(day: str, taken: set[str]) -> str:
    """The day ('2026-11-25'), or '2026-11-25-2' and so on for a second edition that day."""
    candidate, number = day, 2
    while candidate in taken:
        candidate, number = f"{day}-{number}", number + 1
    return candidate


def since_start(window: str, now: datetime) -> datetime | None:
    """Where a `digest.since` / `--since` window starts; None for 'last-edition'."""
    if window == "last-edition":
        return None
    try:
        return window_start(window, now)
    except (ValueError, OverflowError) as exc:
        raise ConfigError(f"not a usable window: {exc}", field="--since") from None
