"""FeedSync (syndicate/validate/extensions/sharing.py): the rules a corpus file per case
would not show well, each on a small feed built here."""

from __future__ import annotations

import pytest

from syndicate.validate import validate_feed
from syndicate.validate.datatypes import urn_nss


def _errors(channel: str, items: str) -> list[str]:
    """The error codes of an RSS feed with `channel` in its channel and the `items`."""
    feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:sx="http://feedsync.org/2007/feedsync">
  <channel>
    <title>Harbourside task list</title>
    <link>https://example.com/tasks/</link>
    <description>Chores shared between two fictional offices.</description>
    {channel}
    {items}
  </channel>
</rss>"""
    report = validate_feed(feed.encode(), "feed.xml")
    return [finding.code for finding in report.errors]


def _item(sync_id: str, conflicts: str = "") -> str:
    return f"""<item>
      <title>Task {sync_id}</title>
      <sx:sync id="{sync_id}" updates="1">
        <sx:history sequence="1" by="harbour-office"/>
        {conflicts}
      </sx:sync>
    </item>"""


def test_a_conflicting_version_shares_its_items_id() -> None:
    conflicts = f"<sx:conflicts>{_item('task-1')}</sx:conflicts>"
    assert _errors("", _item("task-1", conflicts) + _item("task-2")) == []


def test_two_items_of_a_feed_do_not_share_an_id() -> None:
    assert _errors("", _item("task-1") + _item("task-1")) == ["duplicate-value"]


def test_two_conflicting_versions_do_not_share_an_id_twice() -> None:
    conflicts = f"<sx:conflicts>{_item('task-1')}{_item('task-1')}</sx:conflicts>"
    assert _errors("", _item("task-1", conflicts)) == ["duplicate-value"]


@pytest.mark.parametrize(
    ("since", "until", "errors"),
    [
        ("2024-06-01T02:00:00+02:00", "2024-06-01T01:00:00Z", []),  # 00:00Z then 01:00Z
        ("2024-06-01T01:00:00Z", "2024-06-01T02:00:00+02:00", ["bad-value"]),
        ("2024-06-01T00:00:00Z", "2024-06-01T00:00:00Z", []),
        ("yesterday", "2024-06-01T00:00:00Z", ["bad-date"]),
    ],
)
def test_since_is_not_after_until(since: str, until: str, errors: list[str]) -> None:
    """The moments are compared, not the texts: offsets count."""
    assert _errors(f'<sx:sharing since="{since}" until="{until}"/>', "") == errors


@pytest.mark.parametrize("value", ["JEO2000", "task-1", "a%2Fb", "x(1)+y,z.:=@;$_!*'/?#"])
def test_urn_namespace_specific_strings(value: str) -> None:
    assert urn_nss(value) is None


@pytest.mark.parametrize("value", ["", "John Smith", "50%", "a%zz", "Señor", "a<b>", 'say"hi"'])
def test_not_urn_namespace_specific_strings(value: str) -> None:
    assert urn_nss(value) is not None
