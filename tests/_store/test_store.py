from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from syndicate._store.address import StoreAddress
from syndicate._store.identities import Identity
from syndicate._store.schema import MIGRATIONS, SCHEMA_VERSION
from syndicate._store.store import StateStore
from syndicate._store.subscribers import SubscriberRow
from syndicate.errors import StateError
from tests.factories import NOW


def test_identities_are_recorded_once_and_survive_reopening(
    store_target: Path | StoreAddress,
) -> None:
    path = store_target
    with StateStore(path) as store:
        assert store.identities.settle([("a", "x"), ("b", "x")], NOW) == {
            "a": Identity(NOW, "x"),
            "b": Identity(NOW, "x-2"),
        }
    later = NOW + timedelta(days=2)
    with StateStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.identities.settle([("b", "y"), ("c", "x")], later) == {
            "b": Identity(NOW, "x-2"),
            "c": Identity(later, "x-3"),
        }


def test_many_ids_in_one_call(store_target: Path | StoreAddress) -> None:
    ids = [f"id-{n}" for n in range(2500)]
    with StateStore(store_target) as store:
        identities = store.identities.settle([(i, "same") for i in ids], NOW)
    assert len({identity.slug for identity in identities.values()}) == 2500


def test_a_failed_transaction_changes_nothing(store_target: Path | StoreAddress) -> None:
    with StateStore(store_target) as store:
        store.identities.settle([("a", "a")], NOW)
        with pytest.raises(RuntimeError), store.transaction() as db:
            db.execute("DELETE FROM article_identity")
            raise RuntimeError("crash mid-way")
        assert store.identities.settle([("a", "b")], NOW + timedelta(days=1)) == {
            "a": Identity(NOW, "a")
        }


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StateError, match="newer"):
        StateStore(path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match="state store"):
        StateStore(path)


def test_wal_mode(tmp_path: Path) -> None:
    StateStore(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_version_1_store_is_migrated_and_keeps_its_dates(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE first_seen (article_id TEXT PRIMARY KEY, seen_at TEXT NOT NULL)")
        db.execute("INSERT INTO first_seen VALUES ('old', ?)", (NOW.isoformat(),))
        db.execute("PRAGMA user_version = 1")
    later = NOW + timedelta(days=3)
    with StateStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.identities.settle([("old", "story"), ("new", "story")], later) == {
            "new": Identity(later, "story"),
            "old": Identity(NOW, "story-2"),
        }
        assert store.identities.settle([("old", "other")], later) == {
            "old": Identity(NOW, "story-2")
        }


def test_a_forgotten_subscriber_s_id_is_never_given_again(
    store_target: Path | StoreAddress,
) -> None:
    # Mail already sent carries tokens that name ids: one must not come to name
    # someone else (SQLite would reuse the highest id once it is deleted).
    with StateStore(store_target) as store:
        store.subscribers.upsert([SubscriberRow("a@example.com"), SubscriberRow("b@example.com")])
        forgotten = store.subscribers.find("b@example.com")
        assert forgotten is not None and store.subscribers.remove("b@example.com")
        store.subscribers.upsert([SubscriberRow("c@example.com")])
        assert store.subscribers.get(forgotten.id) is None


@contextmanager
def store_at_version(path: Path, version: int) -> Iterator[sqlite3.Connection]:
    """A SQLite store as a build of schema `version` left it, to fill before it is
    opened by this one (which migrates it)."""
    with sqlite3.connect(path) as db:
        for migration in MIGRATIONS[:version]:
            db.executescript(migration)
        yield db
        db.execute(f"PRAGMA user_version = {version}")


def test_a_version_6_store_keeps_its_subscriber_ids_and_references(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with store_at_version(path, 6) as db:
        db.execute(
            "INSERT INTO subscriber (id, email, status, created_at, updated_at) VALUES"
            " (7, 'a@example.com', 'active', ?, ?), (9, 'b@example.com', 'active', ?, ?)",
            (NOW.isoformat(),) * 4,
        )
        db.execute("INSERT INTO edition VALUES ('2026-12-01', 'x', '[]')")
        db.execute(
            "INSERT INTO send (edition_id, subscriber_id, variant, status, updated_at)"
            " VALUES ('2026-12-01', 9, 'all', 'sent', 'x')"
        )
    with StateStore(path) as store:
        assert [(s.id, s.email) for s in store.subscribers.all()] == [
            (7, "a@example.com"),
            (9, "b@example.com"),
        ]
        with pytest.raises(sqlite3.IntegrityError):  # references are enforced again
            store.db.execute("DELETE FROM subscriber WHERE id = 9")
        store.subscribers.remove("b@example.com")
        store.subscribers.upsert([SubscriberRow("c@example.com")])
        assert store.subscribers.get(9) is None


def test_an_import_in_chunks_counts_as_one_row_at_a_time(
    store_target: Path | StoreAddress,
) -> None:
    with StateStore(store_target) as store:
        book = store.subscribers
        book.upsert([SubscriberRow("gone@example.com", status="unsubscribed")])
        rows = [SubscriberRow(f"r{n}@example.com", f"R{n}") for n in range(1200)]
        rows += [
            SubscriberRow("r5@example.com", "Renamed"),  # the same address again, later
            SubscriberRow("r7@example.com", "R7"),  # again, the same
            SubscriberRow("gone@example.com"),  # would resubscribe someone who left
        ]
        result = book.upsert(rows)
        assert (result.added, result.updated, result.unchanged, result.kept_unsubscribed) == (
            1200, 1, 2, 1,
        )  # fmt: skip
        renamed = book.find("r5@example.com")
        assert renamed is not None and renamed.name == "Renamed"
        gone = book.find("gone@example.com")
        assert gone is not None and gone.status == "unsubscribed"
        assert book.upsert(rows[:1200]).updated == 1  # r5's name back; nothing else


def test_subscribers_from_before_languages_read_the_sites(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with store_at_version(path, 8) as db:
        db.execute(
            "INSERT INTO subscriber (email, status, created_at, updated_at)"
            " VALUES ('a@example.com', 'active', ?, ?)",
            (NOW.isoformat(),) * 2,
        )
    with StateStore(path) as store:
        [subscriber] = store.subscribers.all()
        assert subscriber.language == ""
        assert list(store.subscribers.subscriptions()) == [(subscriber.id, "[]", "")]
        store.subscribers.upsert([SubscriberRow("a@example.com", language="de")])
        store.subscribers.upsert([SubscriberRow("a@example.com", name="A", language=None)])
        assert store.subscribers.all()[0].language == "de"
