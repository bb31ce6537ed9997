"""The store on PostgreSQL: choosing it, what a bad URL or an unreachable server says,
the publish lock across machines, and `state copy` from every SQLite schema version."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from syndicate import api
from syndicate._store.address import StoreAddress, parse_address
from syndicate._store.lock import site_lock
from syndicate._store.schema import MIGRATIONS
from syndicate._store.schema_postgres import TABLES
from syndicate._store.store import StateStore
from syndicate._store.subscribers import SubscriberRow
from syndicate.config import load_config
from syndicate.errors import ConfigError, SiteError, StateError
from tests.commands import invoke
from tests.factories import NOW
from tests.postgres import PASSWORD, PostgresServer, free_port


def site_with(root: Path, toml: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "syndicate.toml").write_text(toml, "utf-8")
    return root


# -- one setting picks the store ---------------------------------------------------------


def test_the_default_is_the_sqlite_file_in_the_site(tmp_path: Path) -> None:
    config = load_config(site_with(tmp_path), {})
    assert config.store == StoreAddress(path=tmp_path / ".syndicate" / "state.db")


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    root = site_with(tmp_path, '[state]\nurl = "sqlite:///other.db"\n')
    assert load_config(root, {}).store.path == root / "other.db"
    url = "postgresql://news:pw@db.example:5432/news"
    store = load_config(root, {"SYNDICATE_DATABASE_URL": url}).store
    assert (store.url, store.shown()) == (url, "postgresql://news:***@db.example:5432/news")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://news:secret@db.example/news", "password is not read from files"),
        ("mysql://db.example/news", "unknown kind of store"),
        ("postgresql://db.example", "names no database"),
        ("sqlite://relative.db", "sqlite:///relative/path"),
        ("postgresql://db.example:port/news", "not a database URL"),
        ("postgresql://db.example/news?password=secret", "password is not read from files"),
        ("host=db.example password=secret", "unknown kind of store"),
    ],
)
def test_a_bad_url_in_the_file_is_one_error_naming_the_key(
    tmp_path: Path, url: str, says: str
) -> None:
    root = site_with(tmp_path, f'[site]\ntitle = "T"\n\n[state]\nurl = "{url}"\n')
    with pytest.raises(ConfigError, match=says) as raised:
        load_config(root, {})
    assert (raised.value.problem.field, raised.value.problem.line) == ("state.url", 5)
    assert "secret" not in str(raised.value)


def test_a_password_is_never_shown() -> None:
    for url in (
        "postgresql://news:secret@[::1]:5432/news",
        "postgresql://news@db.example/news?sslmode=require&password=secret",
    ):
        shown = parse_address(url, Path("."), from_environment=True).shown()
        assert "secret" not in shown and "***" in shown
    assert (
        "[::1]:5432"
        in parse_address(
            "postgresql://news:secret@[::1]:5432/news", Path("."), from_environment=True
        ).shown()
    )


def test_an_absolute_sqlite_path(tmp_path: Path) -> None:
    address = parse_address(
        f"sqlite:///{tmp_path}/s.db", Path("/elsewhere"), from_environment=False
    )
    assert address.path == tmp_path / "s.db"


def test_an_unreachable_server_or_a_refused_password_is_one_line_exit_2(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    root = site_with(tmp_path)
    nobody = f"postgresql://syndicate:{PASSWORD}@127.0.0.1:{free_port()}/news"
    wrong = postgres_server.url("postgres").replace(PASSWORD, "wrong-password")
    for url, says in ((nobody, "cannot connect"), (wrong, "password authentication failed")):
        code, _, err = invoke(
            "subscribers", "list", "--dir", str(root), env={"SYNDICATE_DATABASE_URL": url}
        )
        assert code == 2, err
        [line] = err.strip().splitlines()
        assert says in line and "SYNDICATE_DATABASE_URL" in line
        assert PASSWORD not in line and "wrong-password" not in line
        assert "Traceback" not in err


def test_a_newer_schema_is_refused(postgres_url: str) -> None:
    address = StoreAddress(url=postgres_url)
    StateStore(address).close()
    with StateStore(address) as store:
        store.db.execute("UPDATE syndicate_schema SET version = 999")
    with pytest.raises(StateError, match="newer"):
        StateStore(address)


# -- one publisher at a time, on any machine ----------------------------------------------


def test_a_second_publish_on_another_machine_is_refused_naming_the_holder(
    tmp_path: Path, postgres_url: str
) -> None:
    store = StoreAddress(url=postgres_url)
    # Two site copies (two machines): their file locks do not see each other.
    holder = r"holds this site's store \(syndicate publish on"
    with (
        site_lock(tmp_path / "a" / "publish.lock", store),
        pytest.raises(SiteError, match=holder),
        site_lock(tmp_path / "b" / "publish.lock", store),
    ):
        pass
    with site_lock(tmp_path / "b" / "publish.lock", store, wait=True):
        pass  # free again once the first is done


def test_a_publish_with_wait_waits_for_the_one_before(tmp_path: Path, postgres_url: str) -> None:
    store = StoreAddress(url=postgres_url)
    order: list[str] = []

    def second() -> None:
        with site_lock(tmp_path / "b" / "publish.lock", store, wait=True):
            order.append("second")

    with site_lock(tmp_path / "a" / "publish.lock", store):
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.5)
        order.append("first done")
    waiting.join(timeout=30)
    assert order == ["first done", "second"]


# -- state copy ---------------------------------------------------------------------------


def sqlite_store_at_version(path: Path, version: int) -> None:
    """A store as syndicate left it at schema `version`, with a row in what it had."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        for migration in MIGRATIONS[:version]:
            db.executescript(migration)
        db.execute(f"PRAGMA user_version = {version}")
        table, column = (
            ("first_seen", "seen_at") if version == 1 else ("article_identity", "first_seen")
        )
        db.execute(
            f"INSERT INTO {table} (article_id, {column}) VALUES ('story', ?)", (NOW.isoformat(),)
        )


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS) + 1))
def test_state_copy_from_every_schema_version(
    tmp_path: Path, postgres_url: str, version: int
) -> None:
    root = site_with(tmp_path / "site")
    sqlite_store_at_version(root / ".syndicate" / "state.db", version)
    with StateStore(root / ".syndicate" / "state.db") as store:
        store.subscribers.upsert([SubscriberRow("a@example.com"), SubscriberRow("b@example.com")])
        store.subscribers.remove("b@example.com")  # its id must never be given again
    copied = api.copy_state(root, {"SYNDICATE_DATABASE_URL": postgres_url})
    assert copied.rows["article_identity"] == 1 and copied.rows["subscriber"] == 1
    with StateStore(StoreAddress(url=postgres_url)) as store:
        [identity] = store.identities.settle([("story", "story")], NOW).values()
        assert identity.first_seen == NOW
        store.subscribers.upsert([SubscriberRow("c@example.com")])
        assert [s.id for s in store.subscribers.all()] == [1, 3]


def test_state_copy_refuses_a_target_that_holds_anything(tmp_path: Path, postgres_url: str) -> None:
    root = site_with(tmp_path / "site")
    with StateStore(root / ".syndicate" / "state.db") as store:
        store.subscribers.upsert([SubscriberRow("a@example.com")])
    with StateStore(StoreAddress(url=postgres_url)) as store:
        store.subscribers.upsert([SubscriberRow("z@example.com")])
    code, _, err = invoke("state", "copy", str(root), env={"SYNDICATE_DATABASE_URL": postgres_url})
    assert code == 2 and "not empty: subscriber (1 rows)" in err
    with StateStore(StoreAddress(url=postgres_url)) as store:
        assert [s.email for s in store.subscribers.all()] == ["z@example.com"]


def test_state_copy_counts_every_table_in_json(tmp_path: Path, postgres_url: str) -> None:
    root = site_with(tmp_path / "site")
    with StateStore(root / ".syndicate" / "state.db") as store:
        store.subscribers.upsert([SubscriberRow("a@example.com")])
    code, out, err = invoke(
        "state", "copy", str(root), "--json", env={"SYNDICATE_DATABASE_URL": postgres_url}
    )
    assert code == 0, err
    assert '"subscriber": 1' in out and all(f'"{table}"' in out for table in TABLES)
