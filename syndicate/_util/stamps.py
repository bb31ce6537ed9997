"""A file's stamp: what tells whether it changed since it was last seen."""

from __future__ import annotations

import os
import time
from pathlib import Path

# A file changed within this many seconds of being read may change again within the
# same timestamp tick (coarse file systems keep 1-2 s): its stamp proves nothing yet.
RACY_SECONDS = 2.0

# (size, mtime_ns, ctime_ns, inode): any write to a file changes one of them.
FileStamp = tuple[int, int, int, int]


def file_stamp(path: Path) -> FileStamp | None:
    """The stamp of a file, or None when it cannot be trusted as a cache key yet."""
    try:
        return stamp_of(os.stat(path))
    except OSError:
        return None


def stamp_of(status: os.stat_result) -> FileStamp | None:
    if time.time_ns() - status.st_mtime_ns < RACY_SECONDS * 1e9:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def exact_stamp(status: os.stat_result) -> FileStamp:
    """The stamp of a file however recently it changed: for files of our own, which
    nothing else writes, and for a file held open to check it is still the one read."""
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
