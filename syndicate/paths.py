"""Where everything of one site folder lives (SPEC section 9): every path is named here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "syndicate.toml"
STATE_FOLDER = ".syndicate"

DIGEST_FEED = "feed.xml"  # the digest archive's Atom feed, in digests/


@dataclass(frozen=True)
class CacheFiles:
    """The cache files of one site, in its `.syndicate/cache/` folder."""

    folder: Path

    @property
    def site(self) -> Path:
        """The site as the last run loaded and normalised it (_cache/site.py)."""
        return self.folder / "site.pickle"

    @property
    def records(self) -> Path:
        """Each record file's records, by the file's stamp (_cache/records.py)."""
        return self.folder / "records.pickle"

    @property
    def feed_keys(self) -> Path:
        """The key of each feed file last published (_cache/feed_keys.py)."""
        return self.folder / "feed-keys.pickle"

    @property
    def edition_due(self) -> Path:
        """That the last publish found no edition due (_cache/edition_due.py)."""
        return self.folder / "edition-due.pickle"


@dataclass(frozen=True)
class SitePaths:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def articles(self) -> Path:
        return self.root / "articles"

    @property
    def subscribers(self) -> Path:
        """The site's subscriber list, imported at each publish."""
        return self.root / "subscribers.csv"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def locale(self) -> Path:
        """The site's own catalogues (locale/<language>/LC_MESSAGES/syndicate.po), which
        override ours string by string, as templates/ overrides ours file by file."""
        return self.root / "locale"

    @property
    def feeds(self) -> Path:
        return self.root / "feeds"

    @property
    def digests(self) -> Path:
        return self.root / "digests"

    def edition(self, edition_id: str) -> Path:
        """digests/<edition-id>/: an edition's web copy, text and sample message."""
        return self.digests / edition_id

    @property
    def preview(self) -> Path:
        """digests/preview/: the edition due, as `preview` shows it (recorded nowhere)."""
        return self.digests / "preview"

    @property
    def archive_page(self) -> Path:
        """digests/index.html: every edition, newest first."""
        return self.digests / "index.html"

    @property
    def digest_feed(self) -> Path:
        """digests/feed.xml: the newest editions as an Atom feed."""
        return self.digests / DIGEST_FEED

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def state(self) -> Path:
        """`.syndicate/`: what the site remembers, and what only syndicate writes."""
        return self.root / STATE_FOLDER

    @property
    def state_db(self) -> Path:
        return self.state / "state.db"

    @property
    def build(self) -> Path:
        """Where `syndicate build` stages what it built, before anything is published."""
        return self.state / "build"

    @property
    def staged_feeds(self) -> Path:
        """The feeds as built, before the changed ones are published into feeds/."""
        return self.build / "feeds"

    @property
    def lock(self) -> Path:
        """Held by the run that builds, publishes or sends (one at a time)."""
        return self.state / "publish.lock"

    @property
    def published_feeds(self) -> Path:
        """The files the last clean publish left in feeds/: those no longer built go."""
        return self.state / "published-feeds.txt"

    @property
    def secret_key(self) -> Path:
        """The signing key made for a site without SYNDICATE_SECRET_KEY."""
        return self.state / "secret-key"

    @property
    def caches(self) -> CacheFiles:
        return CacheFiles(self.state / "cache")
