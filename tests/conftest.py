"""Fixtures shared by the top-level test modules."""

from __future__ import annotations

import pytest

from syndicate import api


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The feed URLs that hubs are told of (no request leaves the machine)."""
    told: list[str] = []

    def record(hubs: object, urls: list[str], agent: str) -> list[object]:
        told.extend(urls)
        return []

    monkeypatch.setattr(api, "ping_hubs", record)
    return told
