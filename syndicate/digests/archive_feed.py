"""digests/feed.xml: the digest archive as an Atom feed, an entry per edition linking its
web copy, for readers who would rather follow the digest in a feed reader than get it
by mail (listmonk offers the same for its archive)."""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator

from syndicate.digests.render import DigestSite
from syndicate.paths import DIGEST_FEED

ARCHIVE_FEED_ENTRIES = 50  # the newest editions; the archive page lists them all


@dataclass(frozen=True)
class ArchivedEdition:
    """One edition as the archive shows it."""

    edition_id: str
    created_at: datetime
    date_label: str  # its date, written in the site's language
    story_count: int
    url: str  # its web copy


def archive_feed_url(site: DigestSite) -> str:
    return f"{site.url}digests/{DIGEST_FEED}"


def archive_feed(
    site: DigestSite, editions: Sequence[ArchivedEdition], messages: gettext.NullTranslations
) -> bytes | None:
    """The Atom document of the newest editions (newest first); None before the first
    edition, when there is no date the feed could say it was updated on."""
    if not editions:
        return None
    shown = editions[:ARCHIVE_FEED_ENTRIES]
    heading = messages.gettext("Email digest archive")
    feed = FeedGenerator()
    feed.id(archive_feed_url(site))
    feed.title(f"{site.title}: {heading}")
    feed.author({"name": site.title})
    feed.link(href=f"{site.url}digests/", rel="alternate", type="text/html")
    feed.link(href=archive_feed_url(site), rel="self", type="application/atom+xml")
    feed.language(site.language)
    feed.updated(max(edition.created_at for edition in shown))
    for edition in shown:
        entry = feed.add_entry(order="append")
        entry.id(edition.url)
        entry.title(edition.date_label)
        entry.link(href=edition.url, rel="alternate", type="text/html")
        entry.published(edition.created_at)
        entry.updated(edition.created_at)
        count = messages.ngettext("%(num)d story", "%(num)d stories", edition.story_count)
        entry.summary(count % {"num": edition.story_count})
    document: bytes = feed.atom_str(pretty=True)
    return document
