from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import feedparser
from lxml import etree

from syndicate._store.store import StateStore
from syndicate.site.records import Article
from tests.factories import NOW, article
from tests.feeds.checks import atom_errors, build, json_feed_errors

ATOM = {"a": "http://www.w3.org/2005/Atom", "fh": "http://purl.org/syndication/history/1.0"}


def stories(count: int) -> list[Article]:
    """`count` stories, seen one hour apart, oldest first."""
    return [
        article(f"Story {n}", number=n, published=NOW + timedelta(hours=n),
                first_seen=NOW + timedelta(hours=n))
        for n in range(1, count + 1)
    ]  # fmt: skip


def titles_in(document: bytes) -> list[str]:
    return [entry.title for entry in feedparser.parse(document).entries]


def links(document: bytes) -> dict[str, str]:
    root = etree.fromstring(document)
    return {link.get("rel"): link.get("href") for link in root.findall("a:link", ATOM)}


def test_newest_in_the_feed_older_in_full_archive_pages() -> None:
    files = build(stories(5), entries=2)
    assert titles_in(files["atom.xml"]) == ["Story 5", "Story 4"]
    assert titles_in(files["archive/site/atom-1.xml"]) == ["Story 2", "Story 1"]
    assert titles_in(files["archive/site/atom-2.xml"]) == ["Story 4", "Story 3"]
    assert "archive/site/atom-3.xml" not in files
    base = "https://news.example.com/feeds/"
    assert links(files["atom.xml"])["prev-archive"] == base + "archive/site/atom-2.xml"
    page_two = links(files["archive/site/atom-2.xml"])
    assert page_two["prev-archive"] == base + "archive/site/atom-1.xml"
    assert page_two["current"] == base + "atom.xml"
    assert "next-archive" not in page_two  # a link to newer pages would change old pages
    assert "prev-archive" not in links(files["archive/site/atom-1.xml"])
    root = etree.fromstring(files["archive/site/atom-1.xml"])
    assert root.find("fh:archive", ATOM) is not None
    assert etree.fromstring(files["atom.xml"]).find("fh:archive", ATOM) is None
    for path, content in files.items():
        if path.endswith(".xml") and "atom" in path:
            assert atom_errors(content) == [], path
        if path.endswith(".xml"):
            assert not feedparser.parse(content).bozo, path


def test_full_archive_pages_never_change_as_stories_arrive() -> None:
    before = build(stories(5), entries=2)
    after = build(stories(7), entries=2)
    for path in ("archive/site/rss-1.xml", "archive/site/atom-2.xml", "archive/site/json-1.json"):
        assert before[path] == after[path], path
    assert "archive/site/atom-3.xml" in after
    assert before["atom.xml"] != after["atom.xml"]


def test_the_feed_and_its_archives_hold_every_story_once_or_more() -> None:
    files = build(stories(9), entries=2)
    seen = set(titles_in(files["rss.xml"]))
    for path in files:
        if path.startswith("archive/site/rss-"):
            seen |= set(titles_in(files[path]))
    assert seen == {f"Story {n}" for n in range(1, 10)}


def test_a_backdated_story_does_not_reshuffle_old_pages() -> None:
    site = stories(6)
    before = build(site, entries=2)
    late = article("Late But Old", number=99, published=NOW - timedelta(days=30),
                   first_seen=NOW + timedelta(hours=50))  # fmt: skip
    after = build([*site, late], entries=2)
    assert before["archive/site/atom-1.xml"] == after["archive/site/atom-1.xml"]
    assert before["archive/site/atom-2.xml"] == after["archive/site/atom-2.xml"]
    assert "Late But Old" in titles_in(after["atom.xml"])


def test_json_feed_pages_link_with_next_url() -> None:
    files = build(stories(5), entries=2)
    current = json.loads(files["feed.json"])
    older = json.loads(files["archive/site/json-2.json"])
    oldest = json.loads(files["archive/site/json-1.json"])
    assert current["next_url"].endswith("/feeds/archive/site/json-2.json")
    assert older["next_url"].endswith("/feeds/archive/site/json-1.json")
    assert "next_url" not in oldest
    for document in (current, older, oldest):
        assert json_feed_errors(document) == []


def test_no_archive_until_the_feed_overflows() -> None:
    files = build(stories(2), entries=2)
    assert not any(path.startswith("archive/") for path in files)
    assert "prev-archive" not in links(files["atom.xml"])


def test_a_deleted_story_leaves_a_gap_and_later_pages_stay_as_they_were(tmp_path: Path) -> None:
    site = stories(9)
    with StateStore(tmp_path / "state.db") as store:
        before = build(site, entries=2, positions=store.feed_positions.place)
        after = build(site[1:], entries=2, positions=store.feed_positions.place)  # Story 1 deleted
    assert titles_in(after["archive/site/atom-1.xml"]) == ["Story 2"]
    for path in ("archive/site/atom-2.xml", "archive/site/atom-3.xml", "archive/site/rss-4.xml"):
        assert before[path] == after[path], path
    # Without positions kept, every later page would have shifted by one story.
    shifted = build(site[1:], entries=2)
    assert shifted["archive/site/atom-2.xml"] != before["archive/site/atom-2.xml"]


def test_positions_are_kept_per_feed_and_new_stories_go_last(tmp_path: Path) -> None:
    with StateStore(tmp_path / "state.db") as store:
        assert store.feed_positions.place("site", ["a", "b"]) == {"a": 1, "b": 2}
        assert store.feed_positions.place("site", ["c", "a"]) == {"c": 3, "a": 1}
        assert store.feed_positions.place("world", ["c"]) == {"c": 1}
