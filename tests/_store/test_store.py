from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from syndicate._store.identities import Identity
from syndicate._store.schema import SCHEMA_VERSION
from syndicate._store.store import StateStore
from syndicate.errors import StateError
from tests.factories import NOW


def test_identities_are_recorded_once_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / ".syndicate" / "state.db"
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


def test_many_ids_in_one_call(tmp_path: Path) -> None:
    ids = [f"id-{n}" for n in range(2500)]
    with StateStore(tmp_path / "s.db") as store:
        identities = store.identities.settle([(i, "same") for i in ids], NOW)
    assert len({identity.slug for identity in identities.values()}) == 2500


def test_a_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.db") as store:
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
