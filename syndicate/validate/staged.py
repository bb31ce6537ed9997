"""The publish gate's feed checks: each built feed document that is not the file
already published, read and checked where it lies, in worker processes when there
are enough of them (a big site's first publish checks thousands)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from syndicate._util.workers import Workers
from syndicate.validate import validate_feed
from syndicate.validate.report import FileReport

# About the bytes of one feed entry: the unit of work that makes workers worth it.
_ENTRY_BYTES = 4096


@dataclass(frozen=True, slots=True)
class StagedFeed:
    """A built feed document: its name in reports, where it was built, where it goes."""

    name: str
    built: Path
    published: Path


def validate_staged_feeds(
    feeds: Sequence[StagedFeed], workers: Workers, *, now: datetime | None = None
) -> list[FileReport]:
    """The report of each document whose bytes differ from the published file's, in
    the order of `feeds` (one moment for all: what counts as the future is the same)."""
    moment = now or datetime.now(UTC)
    units = sum(_size(feed.built) for feed in feeds) // _ENTRY_BYTES
    reports: list[FileReport] = []
    for batch in workers.batches(partial(_check_batch, moment), feeds, units=units):
        reports.extend(report for report in batch if report is not None)
    return reports


def _check_batch(moment: datetime, feeds: list[StagedFeed]) -> list[FileReport | None]:
    """What a worker does: check each document of a batch that is not published as is."""
    return [_checked(feed, moment) for feed in feeds]


def _checked(feed: StagedFeed, moment: datetime) -> FileReport | None:
    content = feed.built.read_bytes()
    try:
        if feed.published.read_bytes() == content:
            return None
    except OSError:  # not published yet (or unreadable: checked as new)
        pass
    return validate_feed(content, feed.name, now=moment)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
