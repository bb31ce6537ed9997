"""Fixtures shared by the top-level test modules."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate import api
from syndicate._store.address import StoreAddress
from tests.postgres import PostgresServer, binaries


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The feed URLs that hubs are told of (no request leaves the machine)."""
    told: list[str] = []

    def record(hubs: object, urls: list[str], agent: str) -> list[object]:
        told.extend(urls)
        return []

    monkeypatch.setattr(api, "ping_hubs", record)
    return told


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The test run's own PostgreSQL server (started on first use, stopped at the end)."""
    bin_dir = binaries()
    if bin_dir is None:
        reason = "PostgreSQL is not installed (Debian's postgresql package gives initdb)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; in CI these tests must run (.ci/run installs it)")
        pytest.skip(reason)
    server = PostgresServer(bin_dir)
    yield server
    server.close()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database of the test's own, as a URL with its password."""
    return postgres_server.database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | StoreAddress:
    """Where a state-store test opens its store: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        return tmp_path / ".syndicate" / "state.db"
    url = request.getfixturevalue("postgres_url")
    return StoreAddress(url=url, setting="SYNDICATE_DATABASE_URL")
