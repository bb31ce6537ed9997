"""The state store: what a site remembers between runs, in one database.

Its tables come in groups, one module each, reached from an open store: `identities`,
`feed_positions`, `editions`, `subscribers`, `ledger`, `bounces`, and the site-wide
limits `send_pace` and `rate_counts`.
"""

from __future__ import annotations

from functools import cached_property

from syndicate._store.bounces import BounceBook
from syndicate._store.database import Database
from syndicate._store.editions import EditionTable
from syndicate._store.identities import IdentityTable
from syndicate._store.positions import FeedPositions
from syndicate._store.rates import RateCounts, SendPace
from syndicate._store.sends import Ledger
from syndicate._store.subscribers import SubscriberBook


class StateStore(Database):
    """Open (creating and migrating as needed) the store at `target`: a SQLite file's
    path, or a StoreAddress ([state] url)."""

    def __enter__(self) -> StateStore:
        return self

    @cached_property
    def identities(self) -> IdentityTable:
        """Each article id's first sight and URL slug."""
        return IdentityTable(self)

    @cached_property
    def feed_positions(self) -> FeedPositions:
        """Each story's place in each feed, which archive pages are cut from."""
        return FeedPositions(self)

    @cached_property
    def editions(self) -> EditionTable:
        """The digest editions made, and their message variants."""
        return EditionTable(self)

    @cached_property
    def subscribers(self) -> SubscriberBook:
        """Who gets the digest, and the addresses never to mail again."""
        return SubscriberBook(self)

    @cached_property
    def ledger(self) -> Ledger:
        """The send ledger: one row per (edition, subscriber)."""
        return Ledger(self)

    @cached_property
    def bounces(self) -> BounceBook:
        """Mail that came back: the reports read and the events they gave."""
        return BounceBook(self)

    @cached_property
    def send_pace(self) -> SendPace:
        """dispatch.rate, for every worker of the site together."""
        return SendPace(self)

    @cached_property
    def rate_counts(self) -> RateCounts:
        """serve's sign-up limits, for every instance together."""
        return RateCounts(self)
