"""Media RSS (syndicate/validate/extensions/media.py): the rules a corpus file per case
would not show well, each on a small feed built here."""

from __future__ import annotations

import pytest

from syndicate.validate import validate_feed

MEDIA = "http://search.yahoo.com/mrss/"


def _findings(item: str, *, namespace: str = MEDIA) -> set[str]:
    """The error codes of an RSS feed whose one item holds `item`."""
    feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="{namespace}">
  <channel>
    <title>Marlowe Valley Film Club</title>
    <link>https://example.com/</link>
    <description>Short films from a fictional village film club.</description>
    <item>
      <title>Autumn screening</title>
      <link>https://example.com/films/autumn</link>
      <guid>https://example.com/films/autumn</guid>
      {item}
    </item>
  </channel>
</rss>"""
    report = validate_feed(feed.encode(), "feed.xml")
    return {finding.code for finding in report.errors}


def _rating(scheme: str, value: str) -> set[str]:
    return _findings(f'<media:rating scheme="{scheme}">{value}</media:rating>')


@pytest.mark.parametrize(
    "label",
    [
        "r (cz 1 lz 1 nz 1 oz 1 vz 1)",
        "r (nz 0)",
        "r (na 1 sf 1 vj 1 lc 1 oh 1 cb 1 xe 1)",
    ],
)
def test_icra_labels_of_the_vocabulary_are_ratings(label: str) -> None:
    assert _rating("urn:icra", label) == set()


@pytest.mark.parametrize(
    "label",
    [
        "cz 1 lz 1",  # no 'r ( ... )'
        "r ()",
        "r (nd 1)",  # nudity has levels a to c
        "r (na 0)",  # a level is set to 1; only the 'z' codes take 0
        "r (nz 2)",
        "r (nz)",
        "R (nz 1)",
    ],
)
def test_other_icra_labels_are_not(label: str) -> None:
    assert _rating("urn:icra", label) == {"bad-value"}


def test_ratings_of_the_predefined_schemes_are_lower_case() -> None:
    assert _rating("urn:v-chip", "tv-ma") == set()
    assert _rating("urn:v-chip", "TV-MA") == {"bad-value"}
    assert _rating("urn:simple", "adult") == set()
    assert _findings("<media:rating>mature</media:rating>") == {"bad-value"}


def test_a_scheme_of_ones_own_takes_any_value_but_must_be_a_uri() -> None:
    assert _rating("urn:example:club", "three acorns") == set()
    assert _rating("club", "three acorns") == {"relative-url"}


@pytest.mark.parametrize(
    ("credit", "codes"),
    [
        ('role="director of photography"', set()),
        ('role="artist"', set()),  # the spec's own example
        ('role="Director"', {"bad-value"}),
        ('role="projectionist"', {"bad-value"}),
        ('role="projectionist" scheme="urn:example:club"', set()),
        ('role="Projectionist" scheme="urn:example:club"', {"bad-value"}),
        ('scheme="urn:example:club"', set()),
        ('role="uploader" scheme="urn:youtube"', set()),  # a Media RSS style 'urn:name'
        ('role="director" scheme="urn:ebu"', set()),
        ('role="director" scheme="club roles"', {"bad-url"}),
    ],
)
def test_credit_roles(credit: str, codes: set[str]) -> None:
    assert _findings(f"<media:credit {credit}>Ada Pennywhistle</media:credit>") == codes


@pytest.mark.parametrize(
    ("hash_element", "codes"),
    [
        ("<media:hash>7D2B8F1C0E4A9A6B3C5D7E9F1A2B3C4D</media:hash>", set()),  # md5 by default
        ('<media:hash algo="sha-1">2fd4e1c67a2d28fced849ee1bb76e7391b93eb12</media:hash>', set()),
        ("<media:hash>2fd4e1c67a2d28fced849ee1bb76e7391b93eb12</media:hash>", {"bad-value"}),
        ("<media:hash>not-a-digest</media:hash>", {"bad-value"}),
        ("<media:hash>7d2b8f1c0e4a9a6b3c5d7e9f1a2b3c4+</media:hash>", {"bad-value"}),
    ],
)
def test_hashes_are_hex_digests_of_their_length(hash_element: str, codes: set[str]) -> None:
    assert _findings(hash_element) == codes


@pytest.mark.parametrize(
    ("restriction", "codes"),
    [
        ('relationship="allow" type="country">GB fr', set()),
        ('relationship="deny" type="country">all', set()),
        ('relationship="allow" type="country">', set()),  # allow nobody
        ('relationship="allow">none', set()),
        ('relationship="deny" type="sharing">', set()),
        ('relationship="allow" type="uri">urn:apple http://images.example.com', set()),
        ('relationship="allow" type="uri">images.example.com', {"relative-url"}),
        ('relationship="allow" type="country">gb,fr', {"bad-value"}),
        ('relationship="allow">gb', {"bad-value"}),
    ],
)
def test_restrictions(restriction: str, codes: set[str]) -> None:
    assert _findings(f"<media:restriction {restriction}</media:restriction>") == codes


@pytest.mark.parametrize("time", ["now", "12", "12.5", "1:02:03", "12:34:56.789", "02:45"])
def test_thumbnail_times_in_normal_play_time(time: str) -> None:
    thumbnail = f'<media:thumbnail url="https://example.com/t.jpg" time="{time}"/>'
    assert _findings(thumbnail) == set()


def test_a_group_needs_two_contents_and_may_not_stand_in_the_channel_of_an_item() -> None:
    content = '<media:content url="https://example.com/a.mp4"/>'
    assert _findings(f"<media:group>{content}{content}</media:group>") == set()
    assert _findings(f"<media:group>{content}</media:group>") == {"missing-element"}
    assert _findings("<media:group/>") == {"missing-element"}


def test_the_metadata_elements_stand_in_a_content_or_a_group_but_not_deeper() -> None:
    title = "<media:title>Autumn</media:title>"
    inside_content = f'<media:content url="https://example.com/a.mp4">{title}</media:content>'
    assert _findings(inside_content) == set()
    in_player = f'<media:player url="https://example.com/p">{title}</media:player>'
    assert "unknown-element" in _findings(in_player)


def test_the_namespace_without_its_slash_is_an_error_yet_checked_as_media_rss() -> None:
    two = '<media:content url="https://example.com/a.mp4"/><media:content url="b.mp4"/>'
    codes = _findings(f"<media:group>{two}</media:group>", namespace=MEDIA.rstrip("/"))
    assert codes == {"bad-namespace", "relative-url"}


def test_tags_carry_optional_whole_weights() -> None:
    community = "<media:community><media:tags>{}</media:tags></media:community>"
    assert _findings(community.format("news: 5, abc:3, reuters")) == set()
    assert _findings(community.format("news:high")) == {"bad-number"}
