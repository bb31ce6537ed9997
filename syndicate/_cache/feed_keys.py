"""Feed keys (CacheFiles.feed_keys): the key of each feed file last published, so that
a republish builds only the files whose key changed; and the key of a site's feed
documents as a whole, so that a republish of the same site plans none at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from syndicate._cache.files import read_cache, write_cache
from syndicate._util.keys import code_stamp, key_of
from syndicate._util.stamps import FileStamp, exact_stamp
from syndicate.feeds.model import FeedSite
from syndicate.feeds.publish import StagedFeeds
from syndicate.site.records import Article, article_fingerprint


class PublishedKeys:
    """The key of each file last published, with the stamp the file had then: a file
    whose key and stamp are both unchanged need not be built again."""

    def __init__(self, path: Path, feeds_dir: Path) -> None:
        self.path = path
        self.feeds_dir = feeds_dir
        self._key = key_of(code_stamp(), str(feeds_dir.resolve()))
        stored = read_cache(path, self._key)
        self._whole: str | None = None
        self._known: dict[str, tuple[str, FileStamp]] = {}
        if isinstance(stored, tuple) and len(stored) == 2:
            self._whole, self._known = stored

    def reusable(self, relative: str, key: str) -> bool:
        known = self._known.get(relative)
        return (
            known is not None and known[0] == key and _stamp(self.feeds_dir / relative) == known[1]
        )

    def all_reusable(self, whole: str | None) -> dict[str, str] | None:
        """Every feed document's key, in build order, when the last publish made them
        from this same `whole` (a key of the site, its feed settings and positions)
        and each published file is still as it was; else None."""
        if whole is None or whole != self._whole:
            return None
        for relative, (_, stamp) in self._known.items():
            if _stamp(self.feeds_dir / relative) != stamp:
                return None
        return {relative: key for relative, (key, _) in self._known.items()}

    def remember(self, staged: StagedFeeds) -> None:
        """After a publish: the keys of what is in feeds/ now."""
        known = {}
        for relative, key in staged.keys.items():
            before = self._known.get(relative)
            if relative in staged.reused and before is not None and before[0] == key:
                known[relative] = before  # its stamp was checked by this run, and it stayed
                continue
            stamp = _stamp(self.feeds_dir / relative)
            if stamp is not None:
                known[relative] = (key, stamp)
        whole = staged.whole if len(known) == len(staged.keys) else None
        if (whole, known) != (self._whole, self._known):
            write_cache(self.path, self._key, (whole, known))


def _stamp(path: Path) -> FileStamp | None:
    # Exact, not the racy-safe stamp of record files: these are files we just wrote,
    # and any later write to one changes its size, time or inode.
    try:
        return exact_stamp(path.stat())
    except OSError:
        return None


def whole_key(site_key: str | None, feeds: FeedSite, positions: tuple[object, ...]) -> str | None:
    """A key of all the feed documents: the cached site (its key), the feed settings and
    the feeds' story positions, in short (positions are only ever added to)."""
    if site_key is None:
        return None
    return key_of(site_key, feeds, positions)


def fingerprinter(known: Mapping[str, bytes]) -> Callable[[Article], bytes]:
    """Each article's fingerprint, from `known` or made once: it is in six documents or
    more."""
    found = dict(known)

    def fingerprint(article: Article) -> bytes:
        made = found.get(article.id)
        if made is None:
            made = found[article.id] = article_fingerprint(article)
        return made

    return fingerprint
