"""Identity that never drifts: when an article was first seen, and its URL slug.

Both are settled the first time an id is seen and kept in the state store, so a
retitled story keeps its URL, a deleted story's URL is never handed to another,
and an undated story keeps its date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Identity:
    first_seen: datetime
    slug: str


# (article id, the slug it would like) -> identities, recording the new ones.
Identities = Callable[[Sequence[tuple[str, str]]], Mapping[str, Identity]]


def unique_slug(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`... whichever is free; marks it taken."""
    slug, number = wanted, 2
    while slug in taken:
        slug, number = f"{wanted}-{number}", number + 1
    taken.add(slug)
    return slug


def assign_new(
    proposals: Iterable[tuple[str, str]],
    known: Mapping[str, Identity],
    taken: set[str],
    now: datetime,
) -> dict[str, Identity]:
    """Identities for the ids not in `known`, in id order so that clashes settle the same way."""
    fresh: dict[str, Identity] = {}
    for article_id, wanted in sorted(set(proposals)):
        if article_id not in known and article_id not in fresh:
            fresh[article_id] = Identity(now, unique_slug(wanted, taken))
    return fresh


def in_memory(now: datetime) -> Identities:
    """Identities that are not kept: for a look at one file outside a site, and for tests."""

    def identities(proposals: Sequence[tuple[str, str]]) -> Mapping[str, Identity]:
        return assign_new(proposals, {}, set(), now)

    return identities
