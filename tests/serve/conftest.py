"""Fixtures: the example site published once per session, copied for each test that
may change it (its state store, its outbox, its files)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.serve.published import app_for, copy_site, publish_example

NEWS_BASE = "https://example.com/news/"


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_example(tmp_path_factory.mktemp("published"))


@pytest.fixture(scope="session")
def published_under_a_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_example(tmp_path_factory.mktemp("published-news"), NEWS_BASE)


@pytest.fixture(scope="module")
def shared(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy for a module's tests that change nothing (copies are not free)."""
    return copy_site(published, tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="module")
def reader(shared: Path) -> Iterator[TestClient]:
    with TestClient(app_for(shared), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def site(published: Path, tmp_path: Path) -> Path:
    """A copy of its own, for a test that changes the site or its store."""
    return copy_site(published, tmp_path)


@pytest.fixture
def client(site: Path) -> Iterator[TestClient]:
    with TestClient(app_for(site), follow_redirects=False) as test_client:
        yield test_client
