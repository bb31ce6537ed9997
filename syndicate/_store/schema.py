"""The schema of the state store. On SQLite it is versioned with `PRAGMA user_version`:
each migration runs once, in order, inside the transaction that bumps the version. On
PostgreSQL (schema_postgres.py) a store starts at the version where PostgreSQL came in,
and later migrations are written for both."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from syndicate.errors import StateError

MIGRATIONS: tuple[str, ...] = (
    # 1: when each article id was first seen, so that undated records keep their date.
    """
    CREATE TABLE first_seen (
        article_id TEXT PRIMARY KEY,
        seen_at    TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 2: and its URL slug, settled once; rows from version 1 get theirs on next sight.
    """
    ALTER TABLE first_seen RENAME TO article_identity;
    ALTER TABLE article_identity RENAME COLUMN seen_at TO first_seen;
    ALTER TABLE article_identity ADD COLUMN slug TEXT;
    CREATE UNIQUE INDEX article_identity_slug ON article_identity (slug);
    """,
    # 3: digest editions: when each was made and which stories it carried.
    """
    CREATE TABLE edition (
        edition_id  TEXT PRIMARY KEY,
        created_at  TEXT NOT NULL,
        article_ids TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 4: each story's position in each feed, so that archive pages never shift.
    """
    CREATE TABLE feed_position (
        feed       TEXT NOT NULL,
        article_id TEXT NOT NULL,
        position   INTEGER NOT NULL,
        PRIMARY KEY (feed, article_id)
    ) WITHOUT ROWID;
    """,
    # 5: subscribers, the addresses never to mail again, each edition's message
    # variants, and the send ledger: one row per (edition, subscriber).
    """
    CREATE TABLE subscriber (
        id         INTEGER PRIMARY KEY,
        email      TEXT NOT NULL UNIQUE,
        name       TEXT NOT NULL DEFAULT '',
        sections   TEXT NOT NULL DEFAULT '[]',
        status     TEXT NOT NULL CHECK (status IN ('active', 'pending', 'unsubscribed', 'bounced')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE suppression (
        email    TEXT PRIMARY KEY,
        reason   TEXT NOT NULL,
        added_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE edition_variant (
        edition_id TEXT NOT NULL REFERENCES edition (edition_id),
        variant    TEXT NOT NULL,
        rendered   TEXT NOT NULL,
        PRIMARY KEY (edition_id, variant)
    ) WITHOUT ROWID;
    CREATE TABLE send (
        edition_id    TEXT NOT NULL REFERENCES edition (edition_id),
        subscriber_id INTEGER NOT NULL REFERENCES subscriber (id),
        variant       TEXT NOT NULL,
        status        TEXT NOT NULL
                      CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        detail        TEXT NOT NULL DEFAULT '',
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (edition_id, subscriber_id)
    ) WITHOUT ROWID;
    CREATE INDEX send_open ON send (status) WHERE status IN ('queued', 'sending');
    """,
    # 6: mail that comes back: each report read (once), and each event it gave.
    """
    CREATE TABLE report_seen (
        message_id TEXT NOT NULL,
        content    TEXT NOT NULL,
        seen_at    TEXT NOT NULL,
        PRIMARY KEY (message_id, content)
    ) WITHOUT ROWID;
    CREATE TABLE bounce_event (
        id            INTEGER PRIMARY KEY,
        at            TEXT NOT NULL,
        email         TEXT NOT NULL,
        subscriber_id INTEGER,
        kind          TEXT NOT NULL
                      CHECK (kind IN ('hard', 'soft', 'complaint', 'auto-reply', 'unknown')),
        status        TEXT,
        diagnostic    TEXT NOT NULL DEFAULT '',
        reporting_mta TEXT NOT NULL DEFAULT '',
        edition_id    TEXT,
        source        TEXT NOT NULL
    );
    CREATE INDEX bounce_event_email ON bounce_event (email, at);
    CREATE INDEX bounce_event_edition ON bounce_event (edition_id);
    """,
    # 7: a subscriber's id is never given again once they are forgotten: tokens in
    # mail already sent name ids, and must not come to name someone else.
    """
    CREATE TABLE subscriber_new (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        email      TEXT NOT NULL UNIQUE,
        name       TEXT NOT NULL DEFAULT '',
        sections   TEXT NOT NULL DEFAULT '[]',
        status     TEXT NOT NULL CHECK (status IN ('active', 'pending', 'unsubscribed', 'bounced')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    INSERT INTO subscriber_new (id, email, name, sections, status, created_at, updated_at)
        SELECT id, email, name, sections, status, created_at, updated_at FROM subscriber;
    DROP TABLE subscriber;
    ALTER TABLE subscriber_new RENAME TO subscriber;
    """,
    # 8: many dispatch workers: each send row leased to the worker that claimed it,
    # the send rate shared by all of them, and serve's rate-limit counts.
    """
    ALTER TABLE send ADD COLUMN lease_owner TEXT;
    ALTER TABLE send ADD COLUMN lease_run TEXT;
    ALTER TABLE send ADD COLUMN lease_until TEXT;
    DROP INDEX send_open;
    CREATE INDEX send_open ON send (edition_id, subscriber_id)
        WHERE status IN ('queued', 'sending');
    CREATE INDEX send_lease ON send (lease_run) WHERE status IN ('queued', 'sending');
    CREATE TABLE pace (
        name    TEXT PRIMARY KEY,
        next_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE rate_count (
        key    TEXT PRIMARY KEY,
        period INTEGER NOT NULL,
        count    INTEGER NOT NULL,
        previous INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # 9: the language a subscriber reads their digest in ('': the site's).
    """
    ALTER TABLE subscriber ADD COLUMN language TEXT NOT NULL DEFAULT '';
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, path: Path | str) -> None:
    """Bring a store to SCHEMA_VERSION (inside the caller's transaction)."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StateError(
            f"schema version {version} is newer than this syndicate knows "
            f"({SCHEMA_VERSION}); upgrade syndicate",
            file=path,
        )
    for number in range(version, SCHEMA_VERSION):
        for statement in MIGRATIONS[number].split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {number + 1}")
    # Migrations run with foreign keys off (a table rebuilt keeps its rows' ids): check
    # that every reference still holds before the change is committed.
    if version < SCHEMA_VERSION and db.execute("PRAGMA foreign_key_check").fetchone():
        raise StateError("a migration broke a reference between tables", file=path)


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def stored_time(moment: datetime | None = None) -> str:
    """A moment as the store keeps it (`now` by default): UTC, to the second, ISO 8601."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
