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

from collections.abc import Iterator, Mapping

from syndicate.feeds.model import FeedPage, FeedScope
from syndicate.site.records import Article


def _newest_first(articles: list[Article]) -> tuple[Article, ...]:
    return tuple(sorted(articles, key=lambda a: (a.published, a.id), reverse=True))


def feed_order(articles: tuple[Article, ...]) -> list[Article]:
    """The order in which new stories get their positions in a feed."""
    return sorted(articles, key=lambda a: (a.first_seen, a.published, a.id))


def paginate(
    scope: FeedScope, kind: str, per_page: int, positions: Mapping[str, int]
) -> Iterator[FeedPage]:
    """The subscription feed, then its archive pages oldest first, for one scope and
    format: one page at a time, so a scope's pages never sit in memory together."""
    sequence = sorted(scope.articles, key=lambda a: positions[a.id])
    current_entries = sequence[-per_page:]
    archived = len(sequence) - len(current_entries)

    def number(article: Article) -> int:
        return (positions[article.id] - 1) // per_page + 1

    current = scope.path(kind)
    yield FeedPage(
        scope=scope,
        kind=kind,
        path=current,
        entries=_newest_first(current_entries),
        archive=False,
        prev_archive=scope.archive_path(kind, number(sequence[archived - 1])) if archived else None,
        current=current,
    )
    # `sequence` is in position order, so each page's stories are one run of it and
    # a single pass finds them all (a scan per page was quadratic in the site's size).
    # A page is published when it has a story left out of the subscription feed; it
    # holds its whole range, the part still in the subscription feed too.
    previous: int | None = None
    start = 0
    while start < archived:
        page = number(sequence[start])
        end = start + 1
        while end < len(sequence) and number(sequence[end]) == page:
            end += 1
        yield FeedPage(
            scope=scope,
            kind=kind,
            path=scope.archive_path(kind, page),
            entries=_newest_first(sequence[start:end]),
            archive=True,
            prev_archive=scope.archive_path(kind, previous) if previous is not None else None,
            current=current,
            number=page,
        )
        previous, start = page, end
