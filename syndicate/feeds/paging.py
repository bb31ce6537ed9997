"""RFC 5005 paging: the newest entries in the feed, the rest in archive pages.

Articles are numbered in the order they were first seen (then published, then
id), so a new story always lands at the end. Archive page k holds articles
k*N+1 ... (k+1)*N; a page is published once it is full and some of its entries
have left the subscription feed, and from then on it never changes (unless one
of its articles is edited). Pages link only to older pages (`prev-archive`),
never to newer ones, which is what keeps them unchanged.
"""

from __future__ import annotations

from syndicate.feeds.model import FeedPage, FeedScope
from syndicate.records import Article


def _newest_first(articles: list[Article]) -> tuple[Article, ...]:
    return tuple(sorted(articles, key=lambda a: (a.published, a.id), reverse=True))


def paginate(scope: FeedScope, kind: str, per_page: int) -> list[FeedPage]:
    """The subscription feed and its archive pages for one scope and format."""
    sequence = sorted(scope.articles, key=lambda a: (a.first_seen, a.published, a.id))
    current_entries = sequence[-per_page:]
    archived_count = len(sequence) - len(current_entries)
    full_pages = archived_count // per_page + (1 if archived_count % per_page else 0)
    # Only pages that are full: the partial tail is all inside the subscription feed.
    full_pages = min(full_pages, len(sequence) // per_page)
    current = scope.path(kind)
    pages = [
        FeedPage(
            scope=scope,
            kind=kind,
            path=current,
            entries=_newest_first(current_entries),
            archive=False,
            prev_archive=scope.archive_path(kind, full_pages) if full_pages else None,
            current=current,
        )
    ]
    for number in range(1, full_pages + 1):
        chunk = sequence[(number - 1) * per_page : number * per_page]
        pages.append(
            FeedPage(
                scope=scope,
                kind=kind,
                path=scope.archive_path(kind, number),
                entries=_newest_first(chunk),
                archive=True,
                prev_archive=scope.archive_path(kind, number - 1) if number > 1 else None,
                current=current,
            )
        )
    return pages
