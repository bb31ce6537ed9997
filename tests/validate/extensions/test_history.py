"""Feed paging and archiving (syndicate/validate/extensions/history.py): the link rules of
RFC 5005, run on small feeds built here. Paged feeds (section 3) need no element of the
fh namespace, so the document rule is called directly, as on any feed."""

from __future__ import annotations

from datetime import UTC, datetime

from syndicate.validate.extensions import history
from syndicate.validate.report import FileReport
from syndicate.validate.xmldoc import XmlChecks, read_xml

SELF = "https://example.com/feeds/news.xml"


def _atom(links: str, *, entry_links: str = "", base: str = "") -> str:
    at_base = f' xml:base="{base}"' if base else ""
    return f"""<feed xmlns="http://www.w3.org/2005/Atom"
      xmlns:fh="http://purl.org/syndication/history/1.0"{at_base}>
  <title>Harbourside Gazette</title>
  <id>tag:example.com,2024:news</id>
  <updated>2024-06-04T07:30:00Z</updated>
  {links}
  <entry>
    <title>Ferry timetable changes</title>
    <id>tag:example.com,2024:story-88</id>
    <updated>2024-06-03T09:00:00Z</updated>
    <link href="https://example.com/news/ferry"/>
    {entry_links}
  </entry>
</feed>"""


def _findings(feed: str) -> list[tuple[str, str]]:
    """The codes and messages of the feed-history document rule on `feed`."""
    report = FileReport("feed.xml", "atom")
    document = read_xml(feed.encode(), report)
    assert document is not None
    checks = XmlChecks(document, report, datetime(2024, 6, 5, tzinfo=UTC))
    for vocabulary in history.VOCABULARIES:
        assert vocabulary.document is not None
        vocabulary.document(checks, document.root)
    return [(finding.code, finding.message) for finding in report.findings]


def test_the_last_page_has_no_next_page() -> None:
    feed = _atom(
        f'<link rel="self" href="{SELF}"/><link rel="last" href="{SELF}"/>'
        '<link rel="next" href="https://example.com/feeds/news.xml?page=5"/>'
    )
    assert [code for code, _ in _findings(feed)] == ["feed-history"]


def test_the_first_page_has_no_previous_page() -> None:
    feed = _atom(
        f'<link rel="first" href="{SELF}"/><link rel="self" href="{SELF}"/>'
        '<link rel="previous" href="https://example.com/feeds/news.xml?page=0"/>'
    )
    assert [code for code, _ in _findings(feed)] == ["feed-history"]


def test_a_middle_page_has_both_neighbours() -> None:
    feed = _atom(
        '<link rel="self" href="https://example.com/feeds/news.xml?page=2"/>'
        f'<link rel="first" href="{SELF}"/>'
        '<link rel="previous" href="https://example.com/feeds/news.xml?page=1"/>'
        '<link rel="next" href="https://example.com/feeds/news.xml?page=3"/>'
        '<link rel="last" href="https://example.com/feeds/news.xml?page=4"/>'
    )
    assert _findings(feed) == []


def test_links_are_compared_as_resolved_against_xml_base() -> None:
    feed = _atom(
        '<link rel="self" href="news.xml"/><link rel="last" href="https://example.com/feeds/news.xml"/>'
        '<link rel="next" href="news.xml?page=5"/>',
        base="https://example.com/feeds/",
    )
    assert [code for code, _ in _findings(feed)] == ["feed-history"]


def test_relations_may_be_written_as_iana_uris() -> None:
    feed = _atom(
        f'<fh:complete/><link rel="self" href="{SELF}"/>'
        '<link rel="http://www.iana.org/assignments/relation/next" href="news.xml?page=2"/>'
    )
    assert [code for code, _ in _findings(feed)] == ["feed-history"]


def test_a_complete_feed_may_name_itself_current() -> None:
    feed = _atom(
        f'<fh:complete/><link rel="self" href="{SELF}"/><link rel="current" href="{SELF}"/>'
    )
    assert _findings(feed) == []


def test_a_paging_relation_in_an_entry_is_a_warning() -> None:
    feed = _atom(
        f'<link rel="self" href="{SELF}"/>',
        entry_links='<link rel="previous" href="https://example.com/news/harbour"/>',
    )
    assert [code for code, _ in _findings(feed)] == ["unclear-feed-history"]


def test_an_entry_source_describes_another_feed() -> None:
    """atom:source copies another feed's metadata: its links are not this feed's paging."""
    feed = _atom(
        f'<link rel="self" href="{SELF}"/>',
        entry_links=(
            "<source><id>tag:example.org,2024:other</id><title>Other</title>"
            "<updated>2024-06-01T00:00:00Z</updated>"
            '<link rel="self" href="https://example.org/feed.xml"/><fh:complete/>'
            '<link rel="next" href="https://example.org/feed.xml?page=2"/></source>'
        ),
    )
    assert _findings(feed) == []


def test_rss_channels_are_not_judged_by_rfc5005() -> None:
    """RFC 5005 defines paging for Atom feeds; the W3C validator leaves an RSS
    channel's atom:link relations alone, and so do we."""
    feed = f"""<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
      xmlns:fh="http://purl.org/syndication/history/1.0">
  <channel>
    <title>Harbourside Gazette</title>
    <link>https://example.com/</link>
    <description>News.</description>
    <atom:link rel="self" href="{SELF}"/>
    <atom:link rel="last" href="{SELF}"/>
    <atom:link rel="next" href="https://example.com/feeds/news.xml?page=9"/>
  </channel>
</rss>"""
    assert [code for code, _ in _findings(feed)] == []


def test_a_namespaced_attribute_of_the_vocabulary_is_unknown() -> None:
    from syndicate.validate import validate_feed

    feed = _atom(f'<link rel="self" href="{SELF}" fh:archive="true"/>')
    report = validate_feed(feed.encode(), "feed.xml", now=datetime(2024, 6, 5, tzinfo=UTC))
    assert "unknown-attribute" in [f.code for f in report.errors]
