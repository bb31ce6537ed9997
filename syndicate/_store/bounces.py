"""Mail that comes back: the reports read (each once), the events they gave, and what
each event does to its subscriber.

hard: the subscriber is `bounced` and the address suppressed at once. complaint:
`unsubscribed` and suppressed (so no import brings them back into a send). soft:
counted; `soft_limit` soft bounces within `soft_window`, with no delivery between
them, make the address bounced. auto-reply and unknown: kept, nothing more. A report
about an address that is no subscriber is kept and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from syndicate._store.dialect import Sql
from syndicate._store.schema import stored_time
from syndicate._store.subscribers import suppress_in

if TYPE_CHECKING:
    from syndicate._store.database import Database

Kind = Literal["hard", "soft", "complaint", "auto-reply", "unknown"]
KINDS: tuple[Kind, ...] = ("hard", "soft", "complaint", "auto-reply", "unknown")


@dataclass(frozen=True, slots=True)
class BounceEvent:
    """What a report says of one recipient."""

    recipient: str
    kind: Kind
    status: str | None = None  # the enhanced status code, 5.1.1
    diagnostic: str = ""
    reporting_mta: str = ""
    edition: str | None = None  # the edition the failed message was of, where known


@dataclass(frozen=True, slots=True)
class StoredEvent:
    at: datetime
    kind: Kind
    status: str | None
    diagnostic: str
    source: str
    edition: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "status": self.status,
            "diagnostic": self.diagnostic,
            "source": self.source,
            "edition": self.edition,
        }


@dataclass(frozen=True, slots=True)
class SoftRule:
    """How many soft bounces, within how long, make an address bounced."""

    limit: int = 3
    window: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class UnsubscribeRequest:
    """Whom a request by mail named (None: no subscriber), and their status after it."""

    email: str | None
    status: str | None


class BounceBook:
    def __init__(self, store: Database) -> None:
        self.store = store

    def record(
        self,
        source: str,
        events: Sequence[BounceEvent],
        *,
        seen: tuple[str, str] | None = None,
        event_ids: Sequence[str] | None = None,
        rule: SoftRule = SoftRule(),
        now: datetime | None = None,
    ) -> list[str | None] | None:
        """In one transaction: the report `seen` (its Message-ID and a digest of its
        content) noted, and each event stored from `source` and applied. Returns each
        event's subscriber status after it (None: no subscriber), or None when the
        report was seen before (then nothing is stored). With `event_ids` (a provider's
        id for each event), an event whose id was seen before, in another report, is
        skipped: the list then holds the statuses of the others only."""
        stamp = stored_time(now)
        with self.store.transaction() as db:
            if seen is not None and not _first_sight(db, seen, stamp):
                return None
            ids: Sequence[str | None] = event_ids or [None] * len(events)
            return [
                self._apply(db, source, event, stamp, rule)
                for event, event_id in zip(events, ids, strict=True)
                if event_id is None or _first_sight(db, (event_id, ""), stamp)
            ]

    def unsubscribe(
        self, who: int | str, *, seen: tuple[str, str], now: datetime | None = None
    ) -> UnsubscribeRequest | None:
        """In one transaction: the unsubscribe request `seen` noted, and the subscriber
        its token names (by id; a token from before ids, by address) unsubscribed if
        active or pending (a bounced address stays bounced). None: seen before."""
        stamp = stored_time(now)
        with self.store.transaction() as db:
            if not _first_sight(db, seen, stamp):
                return None
            by_id = isinstance(who, int)
            found = db.execute(
                "SELECT id, email, status FROM subscriber WHERE id = ?"
                if by_id
                else "SELECT id, email, status FROM subscriber WHERE email = ?",
                (who,),
            ).fetchone()
            if found is None:
                return UnsubscribeRequest(None, None)
            subscriber_id, email, status = found
            if status in ("active", "pending"):
                status = _set_status(db, subscriber_id, "unsubscribed", stamp)
            return UnsubscribeRequest(str(email), str(status))

    def seen(self, message_id: str, content: str) -> bool:
        row = self.store.db.execute(
            "SELECT 1 FROM report_seen WHERE message_id = ? AND content = ?",
            (message_id, content),
        ).fetchone()
        return row is not None

    def history(self, subscriber_id: int) -> list[StoredEvent]:
        """The events about a subscriber, oldest first."""
        rows = self.store.db.execute(
            "SELECT at, kind, status, diagnostic, source, edition_id FROM bounce_event"
            " WHERE subscriber_id = ? ORDER BY at, id",
            (subscriber_id,),
        )
        return [
            StoredEvent(datetime.fromisoformat(at), kind, status, diagnostic, source, edition)
            for at, kind, status, diagnostic, source, edition in rows
        ]

    def _apply(
        self, db: Sql, source: str, event: BounceEvent, stamp: str, rule: SoftRule
    ) -> str | None:
        email = event.recipient.strip().lower()
        found = db.execute("SELECT id, status FROM subscriber WHERE email = ?", (email,)).fetchone()
        db.execute(
            "INSERT INTO bounce_event (at, email, subscriber_id, kind, status, diagnostic,"
            " reporting_mta, edition_id, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                stamp,
                email,
                None if found is None else found[0],
                event.kind,
                event.status,
                event.diagnostic[:500],
                event.reporting_mta[:200],
                event.edition,
                source[:500],
            ),
        )
        if found is None:
            return None
        subscriber_id, status = found
        reason = " ".join(part for part in (event.status, event.diagnostic) if part)[:500]
        if event.kind == "hard" or (
            event.kind == "soft" and _soft_bounces(db, subscriber_id, email, stamp, rule)
        ):
            suppress_in(db, email, f"{event.kind} bounce: {reason}".strip(), stamp)
            if status in ("active", "pending"):
                status = _set_status(db, subscriber_id, "bounced", stamp)
        elif event.kind == "complaint":
            suppress_in(db, email, f"complaint: {reason}".strip(), stamp)
            status = _set_status(db, subscriber_id, "unsubscribed", stamp)
        return str(status)

    def figures(self) -> list[EditionFigures]:
        """Every edition's figures, newest first (see edition_figures)."""
        return edition_figures(self.store)


def _first_sight(db: Sql, seen: tuple[str, str], stamp: str) -> bool:
    """Note a report or request (its Message-ID and a digest of it); False: seen before."""
    noted = db.execute(
        "INSERT INTO report_seen (message_id, content, seen_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (*seen, stamp),
    )
    return noted.rowcount == 1


def _set_status(db: Sql, subscriber_id: int, status: str, stamp: str) -> str:
    db.execute(
        "UPDATE subscriber SET status = ?, updated_at = ? WHERE id = ?",
        (status, stamp, subscriber_id),
    )
    return status


def _soft_bounces(db: Sql, subscriber_id: int, email: str, stamp: str, rule: SoftRule) -> bool:
    """Whether the soft bounces of `email` within the window now reach the limit: each
    edition counts once (a report without one counts by its source), and an edition
    sent to them between two of them without a report of its own is a delivery, after
    which the count starts again."""
    since = stored_time(datetime.fromisoformat(stamp) - rule.window)
    rows = db.execute(
        "SELECT b.at, b.edition_id, b.source, e.created_at FROM bounce_event b"
        " LEFT JOIN edition e USING (edition_id)"
        " WHERE b.email = ? AND b.kind = 'soft' AND b.at >= ?",
        (email, since),
    ).fetchall()
    moments: dict[str, str] = {}  # each bounced message, and when it was sent (or reported)
    for at, edition, source, created in rows:
        key = f"edition {edition}" if edition else f"source {source}"
        moments[key] = min(moments.get(key, created or at), created or at)
    if len(moments) < rule.limit:
        return False
    first = min(moments.values())
    delivered = db.execute(
        "SELECT MAX(e.created_at) FROM send s JOIN edition e USING (edition_id)"
        " WHERE s.subscriber_id = ? AND s.status = 'sent' AND e.created_at >= ?"
        " AND e.created_at <= ? AND NOT EXISTS (SELECT 1 FROM bounce_event b"
        " WHERE b.email = ? AND b.edition_id = s.edition_id)",
        (subscriber_id, first, max(moments.values()), email),
    ).fetchone()[0]
    if delivered is not None:
        moments = {key: when for key, when in moments.items() if when > delivered}
    return len(moments) >= rule.limit


@dataclass(frozen=True, slots=True)
class EditionFigures:
    """How one edition went out, and what came back about it."""

    edition: str
    created_at: datetime
    recipients: int
    sent: int
    deferred: int
    failed: int
    hard: int
    soft: int
    complaints: int
    unsubscribes: int


def edition_figures(store: Database) -> list[EditionFigures]:
    """Every edition's figures, newest first. Unsubscribes of an edition: those it was
    sent to who unsubscribed after it and before the next one (a link names no edition)."""
    db = store.db
    editions = db.execute(
        "SELECT edition_id, created_at FROM edition ORDER BY created_at DESC, edition_id DESC"
    ).fetchall()
    figures = []
    following: str | None = None
    for edition, created in editions:
        sends = dict(
            db.execute(
                "SELECT status, COUNT(*) FROM send WHERE edition_id = ? GROUP BY status", (edition,)
            ).fetchall()
        )
        kinds = dict(
            db.execute(
                "SELECT kind, COUNT(DISTINCT email) FROM bounce_event WHERE edition_id = ?"
                " GROUP BY kind",
                (edition,),
            ).fetchall()
        )
        left = db.execute(
            "SELECT COUNT(*) FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
            " WHERE s.edition_id = ? AND s.status = 'sent' AND b.status = 'unsubscribed'"
            " AND b.updated_at >= ? AND b.updated_at < ?",
            (edition, created, following or "9999"),  # the newest: up to now
        ).fetchone()[0]
        figures.append(
            EditionFigures(
                edition,
                datetime.fromisoformat(created),
                sum(sends.values()),
                sends.get("sent", 0),
                sends.get("queued", 0) + sends.get("sending", 0),
                sends.get("failed", 0),
                kinds.get("hard", 0),
                kinds.get("soft", 0),
                kinds.get("complaint", 0),
                int(left),
            )
        )
        following = created
    return figures
