"""RFC 5005 paging: the newest entries in the feed, the rest in archive pages.

Each story has a position in each feed, given the first time the feed carries
it (in the order stories were first seen, then published, then id) and kept in
the state store, so a new story always lands at the end. Archive page k holds
positions k*N-N+1 ... k*N. A page is published when some of its stories have
left the subscription feed (the N newest); by then its range is complete, so
it changes only when one of its own stories is edited or deleted: a deleted
story leaves a gap, never shifts the later pages. Pages link only to older
pages (`prev-archive`), never to newer ones, which is what keeps them unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from syndicate.feeds.model import FeedPage, FeedScope
from syndicate.records import Article


def _newest_first(articles: list[Article]) -> tuple[Article, ...]:
    return tuple(sorted(articles, key=lambda a: (a.published, a.id), reverse=True))


def feed_order(articles: tuple[Article, ...]) -> list[Article]:
    """The order in which new stories get their positions in a feed."""
    return sorted(articles, key=lambda a: (a.first_seen, a.published, a.id))


def paginate(
    scope: FeedScope, kind: str, per_page: int, positions: Mapping[str, int]
) -> list[FeedPage]:
    """The subscription feed and its archive pages for one scope and format."""
    sequence = sorted(scope.articles, key=lambda a: positions[a.id])
    current_entries = sequence[-per_page:]
    pages: dict[int, list[Article]] = {}
    for article in sequence[: len(sequence) - len(current_entries)]:
        pages.setdefault((positions[article.id] - 1) // per_page + 1, []).append(article)
    numbers = sorted(pages)
    current = scope.path(kind)
    result = [
        FeedPage(
            scope=scope,
            kind=kind,
            path=current,
            entries=_newest_first(current_entries),
            archive=False,
            prev_archive=scope.archive_path(kind, numbers[-1]) if numbers else None,
            current=current,
        )
    ]
    for index, number in enumerate(numbers):
        # The page's whole range, also the part already in the subscription feed.
        low, high = (number - 1) * per_page + 1, number * per_page
        members = [a for a in sequence if low <= positions[a.id] <= high]
        result.append(
            FeedPage(
                scope=scope,
                kind=kind,
                path=scope.archive_path(kind, number),
                entries=_newest_first(members),
                archive=True,
                prev_archive=scope.archive_path(kind, numbers[index - 1]) if index else None,
                current=current,
            )
        )
    return result
