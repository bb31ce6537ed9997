"""Feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site and each section, built
(build.py), then published into the site's feeds/ folder (publish.py) and announced
to WebSub hubs (websub.py)."""

from syndicate.feeds.build import (
    PlannedFeed,
    Positions,
    build_feeds,
    feed_scopes,
    feed_site,
    plan_extras,
    plan_feeds,
    positions_in_memory,
)
from syndicate.feeds.model import FeedFile, FeedScope, FeedSite, entry_id

__all__ = [
    "FeedFile",
    "FeedScope",
    "FeedSite",
    "PlannedFeed",
    "Positions",
    "build_feeds",
    "entry_id",
    "feed_scopes",
    "feed_site",
    "plan_extras",
    "plan_feeds",
    "positions_in_memory",
]
