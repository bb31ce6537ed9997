"""Atom threading (syndicate/validate/extensions/threading.py): the thr:count and
thr:updated attributes of RFC 4685 section 4, on Atom links. A feed may use the namespace
for these attributes alone, so the document rule is called directly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syndicate.validate.extensions import threading
from syndicate.validate.report import FileReport
from syndicate.validate.xmldoc import XmlChecks, read_xml


def _findings(link: str, *, elsewhere: str = "") -> list[str]:
    """The codes of the threading document rule on an entry holding `link`."""
    feed = f"""<feed xmlns="http://www.w3.org/2005/Atom"
      xmlns:thr="http://purl.org/syndication/thread/1.0">
  <title>Harbourside Gazette</title>
  <id>tag:example.com,2024:news</id>
  <updated>2024-06-04T07:30:00Z</updated>
  {elsewhere}
  <entry>
    <title>Ferry timetable changes</title>
    <id>tag:example.com,2024:story-88</id>
    <updated>2024-06-03T09:00:00Z</updated>
    {link}
  </entry>
</feed>"""
    report = FileReport("feed.xml", "atom")
    document = read_xml(feed.encode(), report)
    assert document is not None
    checks = XmlChecks(document, report, datetime(2024, 6, 5, tzinfo=UTC))
    for vocabulary in threading.VOCABULARIES:
        assert vocabulary.document is not None
        vocabulary.document(checks, document.root)
    return [finding.code for finding in report.findings]


@pytest.mark.parametrize(
    "rel", ["replies", "http://www.iana.org/assignments/relation/replies", " replies "]
)
def test_a_replies_link_carries_count_and_updated(rel: str) -> None:
    link = f'<link rel="{rel}" href="c.xml" thr:count="7" thr:updated="2024-06-03T10:00:00Z"/>'
    assert _findings(link) == []


@pytest.mark.parametrize(
    ("attributes", "code"),
    [
        ('thr:count="seven"', "bad-number"),
        ('thr:count="-1"', "bad-number"),
        ('thr:updated="2024-06-03"', "bad-date"),
        ('thr:when="2024-06-03T10:00:00Z"', "unknown-attribute"),
        ('thr:total="7"', "unknown-attribute"),
    ],
)
def test_replies_link_attributes_are_checked(attributes: str, code: str) -> None:
    assert _findings(f'<link rel="replies" href="c.xml" {attributes}/>') == [code]


def test_count_and_updated_belong_to_replies_links_only() -> None:
    link = (
        '<link href="https://example.com/ferry" thr:count="2" thr:updated="2024-06-03T10:00:00Z"/>'
    )
    assert _findings(link) == ["unknown-attribute", "unknown-attribute"]


def test_threading_attributes_stand_on_atom_links_only() -> None:
    assert _findings("", elsewhere='<author thr:count="3"><name>Newsroom</name></author>') == [
        "unknown-attribute"
    ]
