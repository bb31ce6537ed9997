"""One build or publish at a time per site: they share the staging folder and feeds/."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from syndicate.errors import SiteError


@contextmanager
def site_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path`, or fail at once if another run holds it.

    The lock is the operating system's (flock): it goes away with the process that
    held it, so a killed run never leaves the site locked.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SiteError(
                "another syndicate build or publish is running on this site; try again later",
                file=path,
            ) from None
        yield
    finally:
        os.close(descriptor)
