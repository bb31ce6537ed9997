"""OpenSearch 1.1 response elements in feeds (syndicate/validate/extensions/opensearch.py),
whose corpus is tests/data/feeds/opensearch."""

from __future__ import annotations

import pytest

from syndicate.validate import validate_feed
from syndicate.validate.datatypes import charset, url_encoded
from syndicate.validate.extensions import opensearch


def _query(attributes: str, declarations: str = "") -> set[str]:
    feed = f"""<rss version="2.0" xmlns:os="{opensearch.OPENSEARCH}"{declarations}>
  <channel>
    <title>Search</title><link>https://example.org/</link><description>D</description>
    <os:Query {attributes}/>
  </channel>
</rss>"""
    return {f.code for f in validate_feed(feed.encode(), "f").errors}


@pytest.mark.parametrize("role", sorted(opensearch.ROLES))
def test_every_local_role(role: str) -> None:
    assert _query(f'role="{role}"') == set()


def test_a_prefixed_role_needs_its_namespace() -> None:
    assert _query('role="x:near"', ' xmlns:x="https://example.org/x"') == set()
    assert _query('role="x:near"') == {"bad-value"}
    assert _query('role=":near"') == {"bad-value"}


def test_the_role_is_case_sensitive() -> None:
    assert _query('role="Request"') == {"bad-value"}


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("cat", True),
        ("New York history", True),
        ("caf%C3%A9", True),
        ("a/b", True),
        ("café", False),
        ("beans+peas", False),
        ("50%", False),
    ],
)
def test_url_encoded(value: str, valid: bool) -> None:
    assert (url_encoded(value) is None) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [("UTF-8", True), ("iso-8859-1", True), ("Shift_JIS", True), ("UTF-9", False), ("", False)],
)
def test_charset(value: str, valid: bool) -> None:
    assert (charset(value) is None) is valid
