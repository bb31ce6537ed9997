"""The podcast vocabularies beyond what the corpus shows: the value checks of iTunes
elements, Apple's category tree, and the show-level recommendations in each feed format."""

from __future__ import annotations

import pytest

from syndicate.validate import validate_feed
from syndicate.validate.extensions.itunes import ITUNES_ELEMENTS
from syndicate.validate.report import FileReport

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
SHOW = (
    '<itunes:image href="https://example.com/cover.jpg"/>'
    '<itunes:category text="Science"/><itunes:explicit>false</itunes:explicit>'
)


def _rss(channel: str, item: str = "", namespace: str = ITUNES) -> FileReport:
    feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:itunes="{namespace}"
     xmlns:googleplay="http://www.google.com/schemas/play-podcasts/1.0">
  <channel>
    <title>Tidepool Talks</title>
    <link>https://example.com/</link>
    <description>A fictional show about rock pools.</description>
    <language>en</language>
    <atom:link href="https://example.com/feed.xml" rel="self" type="application/rss+xml"/>
    {channel}
    <item>
      <title>Anemones</title>
      <guid isPermaLink="false">tidepool-1</guid>
      <pubDate>Mon, 03 Jun 2024 09:00:00 GMT</pubDate>
      {item}
    </item>
  </channel>
</rss>"""
    return validate_feed(feed.encode(), "podcast.xml")


def _codes(report: FileReport) -> list[str]:
    return sorted(f.code for f in report.findings)


def _check(name: str, value: str) -> str | None:
    check = ITUNES_ELEMENTS[name].text
    assert check is not None
    problem = check(value)
    return None if problem is None else problem[0]


@pytest.mark.parametrize("value", ["95", " 1841 ", "1:35", "30:41", "01:01:35", "100:00:00"])
def test_durations_in_seconds_or_clock_time(value: str) -> None:
    assert _check("duration", value) is None


@pytest.mark.parametrize("value", ["", "1:75", "1:2:3", "12.5", "-5", "1:00:00:00", "an hour"])
def test_durations_that_are_neither(value: str) -> None:
    assert _check("duration", value) == "bad-value"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("true", None),
        ("False", None),
        ("yes", "bad-boolean"),
        ("clean", "bad-boolean"),
        ("", "bad-boolean"),
    ],
)
def test_explicit_is_true_or_false_in_any_case(value: str, code: str | None) -> None:
    assert _check("explicit", value) == code


@pytest.mark.parametrize(
    ("value", "code"), [("yes", None), ("No", None), ("clean", None), ("true", "bad-boolean")]
)
def test_block_is_yes_no_or_clean(value: str, code: str | None) -> None:
    assert _check("block", value) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("jo@example.com", None),
        ("Jo <jo@example.com>", None),
        ("jo@example.com (Jo)", None),
        ("Jo", "bad-email"),
    ],
)
def test_owner_email_forms(value: str, code: str | None) -> None:
    assert _check("email", value) == code


def test_a_valid_show_has_no_findings() -> None:
    assert _codes(_rss(SHOW)) == []


def test_subcategory_of_a_retired_category_is_retired_too() -> None:
    category = '<itunes:category text="Health"><itunes:category text="Fitness"/></itunes:category>'
    report = _rss(SHOW + category)
    assert _codes(report) == ["obsolete-value", "obsolete-value"]
    assert report.valid


def test_subcategory_of_an_unknown_category_is_unknown() -> None:
    category = '<itunes:category text="Tides"><itunes:category text="Fitness"/></itunes:category>'
    assert _codes(_rss(SHOW + category)) == ["bad-value", "bad-value"]


def test_subcategory_of_a_category_without_text_is_not_judged() -> None:
    category = '<itunes:category><itunes:category text="Fitness"/></itunes:category>'
    assert _codes(_rss(SHOW + category)) == ["missing-element"]


def test_a_category_without_subcategories_takes_none() -> None:
    category = '<itunes:category text="History"><itunes:category text="Nature"/></itunes:category>'
    assert _codes(_rss(SHOW + category)) == ["bad-value"]


def test_the_capitalised_namespace_of_2005_is_the_same_vocabulary() -> None:
    report = _rss(
        SHOW, "<itunes:episode>0</itunes:episode>", "http://www.itunes.com/DTDs/Podcast-1.0.dtd"
    )
    # Apple reads its namespace only as it spells it now, hence the warning as well.
    assert _codes(report) == ["bad-number", "unknown-namespace"]


def test_a_show_without_itunes_elements_needs_none() -> None:
    report = _rss('<googleplay:category text="Technology"/>')
    assert _codes(report) == []


def test_one_warning_names_all_that_apple_requires() -> None:
    report = _rss("<itunes:author>Tidepool Collective</itunes:author>")
    assert _codes(report) == ["missing-recommended"]
    message = report.warnings[0].message
    for name in ("<itunes:category>", "<itunes:explicit>", "<itunes:image>"):
        assert name in message
    assert "<language>" not in message


def test_an_item_alone_makes_a_podcast() -> None:
    report = _rss("", "<itunes:duration>95</itunes:duration>")
    assert _codes(report) == ["missing-recommended"]


def test_atom_feeds_name_their_language_in_xml_lang() -> None:
    def atom(lang: str) -> FileReport:
        feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" {lang} xmlns:itunes="{ITUNES}">
  <title>Tidepool Talks</title>
  <id>urn:uuid:7d1a6c36-93a5-4f4e-9a53-3f7c0b2e1d41</id>
  <updated>2024-06-03T09:00:00Z</updated>
  <author><name>Tidepool Collective</name></author>
  <link rel="self" href="https://example.com/atom.xml"/>
  {SHOW}
</feed>"""
        return validate_feed(feed.encode(), "podcast.atom")

    assert _codes(atom('xml:lang="en"')) == []
    without = atom("")
    assert _codes(without) == ["missing-recommended"]
    assert "<language>" in without.warnings[0].message


def test_rss_1_podcasts_name_their_language_in_dc_language() -> None:
    feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:itunes="{ITUNES}">
  <channel rdf:about="https://example.com/">
    <title>Tidepool Talks</title>
    <link>https://example.com/</link>
    <description>A fictional show about rock pools.</description>
    <dc:language>en</dc:language>
    <items><rdf:Seq><rdf:li rdf:resource="https://example.com/1"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://example.com/1">
    <title>Anemones</title>
    <link>https://example.com/1</link>
    <dc:date>2024-06-03T09:00:00Z</dc:date>
    <itunes:duration>95</itunes:duration>
  </item>
</rdf:RDF>"""
    report = validate_feed(feed.encode(), "podcast.rdf")
    assert report.valid, report.errors
    recommended = [f.message for f in report.warnings if f.code == "missing-recommended"]
    assert len(recommended) == 1 and "<language>" not in recommended[0]


def test_google_play_reads_apples_categories() -> None:
    assert _codes(_rss(SHOW + '<googleplay:category text="True Crime"/>')) == []
    assert _codes(_rss(SHOW + '<googleplay:category text="Tides"/>')) == ["bad-value"]
