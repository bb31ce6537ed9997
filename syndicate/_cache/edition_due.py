"""A memo that a publish found no digest edition due, so that the next publish of the
same site need not read the site's articles to find so again.

It holds only while nothing it was found from changed: the site (its cache key), the
editions recorded, and the digest window's setting. The window only moves forward
with time, and a later start can only leave out stories, so "nothing due" found at
one moment still holds at any later one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from syndicate._cache.files import read_cache, write_cache
from syndicate._store.store import StateStore
from syndicate._util.keys import key_of
from syndicate.config import LoadedConfig
from syndicate.digests.edition import since_start


@dataclass(frozen=True)
class NothingDue:
    path: Path
    key: str | None  # None: a site not in the site cache, about which nothing is kept
    window_from: datetime | None  # where the digest window starts now (None: last edition)

    @classmethod
    def for_site(cls, config: LoadedConfig, site_key: str | None, now: datetime) -> NothingDue:
        window = config.settings.digest.since
        path = config.paths.caches.edition_due
        if site_key is None:
            return cls(path, None, None)
        with StateStore(config.store) as store:
            editions = [
                (e.edition_id, e.created_at.isoformat(), e.article_ids)
                for e in store.editions.all()
            ]
        return cls(path, key_of(site_key, window, editions), since_start(window, now))

    def holds(self) -> bool:
        """Whether the last publish found nothing due, over the same site and editions,
        with a window that started no later than this one does."""
        if self.key is None:
            return False
        stored = read_cache(self.path, self.key)
        if not isinstance(stored, tuple) or len(stored) != 2 or stored[0] != "nothing due":
            return False
        then = stored[1]
        if then is None or self.window_from is None:
            return then is None and self.window_from is None
        return isinstance(then, datetime) and self.window_from >= then

    def remember(self) -> None:
        """Keep that nothing is due now (the caller found so with this window)."""
        if self.key is not None:
            write_cache(self.path, self.key, ("nothing due", self.window_from))
