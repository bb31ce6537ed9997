"""Fixtures of the mail tests that several modules share."""

from __future__ import annotations

import pytest

from tests.mail.dkim_publish import Keys, Published, new_keys, publish_signed


@pytest.fixture(scope="session")
def dkim_keys() -> Keys:
    """An RSA-2048 key and an Ed25519 key."""
    return new_keys()


@pytest.fixture(scope="session")
def signed_publish(tmp_path_factory: pytest.TempPathFactory, dkim_keys: Keys) -> Published:
    """One publish over SMTP signed with both keys, checked by every verifier's tests."""
    return publish_signed(tmp_path_factory, dkim_keys)
