from __future__ import annotations

import html
import json
from datetime import timedelta
from email.utils import parsedate_to_datetime

import feedparser
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from syndicate._util.text import one_line
from syndicate.feeds import entry_id
from syndicate.site.records import Article, Image
from tests.factories import NOW, article
from tests.feeds.checks import atom_errors, build, json_feed_errors

HOSTILE = [
    "Budget <b>&</b> Bonds",
    "Ends ]]> here <![CDATA[ and <script>alert(1)</script>",
    "Emoji 🚢🌊 and a joined 👩‍👩‍👧 family",
    "عنوان باللغة العربية مع \u202bRTL\u202c ועברית",
    "Quotes \"double\" 'single' & ampersands &amp; &lt;entities&gt;",
    "Long" + " headline" * 300,
]


def sample_site():  # type: ignore[no-untyped-def]
    return [
        article("First Story", number=1, authors=("Ines Marlowe", "Teodor Vance"),
                tags=("harbour", "ships")),
        article("Second Story", number=2, section="Business", image=None, authors=()),
        article("Third Story", number=3, section="Culture", body="", summary="Only a summary."),
    ]  # fmt: skip


def test_every_feed_reads_back_exactly_in_feedparser() -> None:
    articles = sample_site()
    files = build(articles, ["World", "Business", "Culture"])
    by_id = {entry_id(a, "news.example.com"): a for a in articles}
    for path in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(files[path])
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert len(parsed.entries) == 3
        for entry in parsed.entries:
            original = by_id[entry.id]
            assert entry.title == original.title
            assert entry.link == original.url
            assert entry.published_parsed[:6] == original.published.utctimetuple()[:6]
            if path == "atom.xml":
                assert entry.updated_parsed[:6] == original.updated.utctimetuple()[:6]
            names = [a.get("name") for a in entry.get("authors", []) if a.get("name")]
            assert names == list(original.authors)
            assert [t.term for t in entry.tags] == [original.section, *original.tags]
            assert html.unescape(entry.summary) == original.summary
            if original.body:
                assert entry.content[0].value == original.body
            expected = [original.image.url] if original.image else []
            if path == "atom.xml":
                assert [e.href for e in entry.get("enclosures", [])] == expected
            else:  # https images: media:content, since RSS enclosures must be http
                assert [m["url"] for m in entry.get("media_content", [])] == expected
                assert entry.get("enclosures", []) == []


def test_json_feed_items_carry_the_same_values() -> None:
    articles = sample_site()
    document = json.loads(build(articles)["feed.json"])
    assert json_feed_errors(document) == []
    items = {item["id"]: item for item in document["items"]}
    for original in articles:
        item = items[entry_id(original, "news.example.com")]
        assert item["title"] == original.title
        assert item["url"] == original.url
        assert item["date_published"] == original.published.isoformat()
        assert item["date_modified"] == original.updated.isoformat()
        assert item.get("image") == (original.image.url if original.image else None)
        assert item["tags"] == [original.section, *original.tags]
        assert [a["name"] for a in item.get("authors", [])] == list(original.authors)


def test_atom_validates_against_the_rfc_4287_schema() -> None:
    files = build(sample_site() + [article(t, number=10 + i) for i, t in enumerate(HOSTILE)])
    atom = [path for path in files if "atom" in path]
    assert atom
    for path in atom:
        assert atom_errors(files[path]) == [], path


def test_feed_metadata() -> None:
    files = build(sample_site(), hubs=("https://hub.example/",))
    root = etree.fromstring(files["atom.xml"])
    ns = {"a": "http://www.w3.org/2005/Atom"}
    links = {link.get("rel"): link.get("href") for link in root.findall("a:link", ns)}
    assert links["self"] == "https://news.example.com/feeds/atom.xml"
    assert links["alternate"] == "https://news.example.com/"
    assert links["hub"] == "https://hub.example/"
    assert root.findtext("a:generator", namespaces=ns) == "syndicate"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    newest = max(a.updated for a in sample_site())
    assert root.findtext("a:updated", namespaces=ns) == newest.isoformat()
    rss = etree.fromstring(files["world/rss.xml"])
    channel = rss.find("channel")
    assert channel is not None
    self_link = channel.find("{http://www.w3.org/2005/Atom}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href") == "https://news.example.com/feeds/world/rss.xml"
    assert channel.findtext("link") == "https://news.example.com/world/"
    assert channel.findtext("title") == "Harbour Courier: World"
    assert parsedate_to_datetime(channel.findtext("lastBuildDate") or "") == newest
    assert b'<?xml-stylesheet href="https://news.example.com/feeds/feed.xsl"' in files["rss.xml"]


def test_the_same_input_gives_the_same_bytes_and_no_clock_is_read() -> None:
    assert build(sample_site()) == build(sample_site())
    older = [article("Old", number=1, published=NOW - timedelta(days=400))]
    assert b"2025" in build(older)["rss.xml"]  # dates come from the entries, not today


def test_hostile_text_parses_and_reads_literally() -> None:
    articles = [article(title, number=i, summary=title) for i, title in enumerate(HOSTILE)]
    files = build(articles)
    for path in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(files[path])
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        titles = sorted(entry.title for entry in parsed.entries)
        assert titles == sorted(HOSTILE)
    items = json.loads(files["feed.json"])["items"]
    assert sorted(item["title"] for item in items) == sorted(HOSTILE)


def test_sections_get_their_own_feeds_and_odd_names_are_safe() -> None:
    articles = [
        article("A", number=1, section="Archive"),
        article("B", number=2, section="!!!"),
        article("C", number=3, section="Site"),
    ]
    files = build(articles, ["Archive", "!!!", "Site"])
    assert {"archive-section/atom.xml", "section/atom.xml", "site-section/atom.xml"} <= set(files)
    assert not any(path.startswith(("archive/atom", "site/")) for path in files)


def test_images_http_as_enclosures_https_as_media_content() -> None:
    files = build(
        [
            article("A", image=Image("http://n.example/pic", "alt")),
            article("B", number=2, image=None),
            article("C", number=3, image=Image("https://n.example/c.png?x=1", "Alt <&>")),
        ]
    )
    parsed = feedparser.parse(files["rss.xml"])
    assert not parsed.bozo
    assert [len(e.get("enclosures", [])) for e in parsed.entries] == [1, 0, 0]
    assert parsed.entries[0].enclosures[0].type == "application/octet-stream"  # not known
    [media] = parsed.entries[2].media_content
    assert (media["url"], media["type"], media["medium"]) == (
        "https://n.example/c.png?x=1", "image/png", "image",
    )  # fmt: skip
    root = etree.fromstring(files["rss.xml"])
    assert root.findtext(".//{http://search.yahoo.com/mrss/}description") == "Alt <&>"
    assert b"xmlns:media" not in build([article("A", image=None)])["rss.xml"]
    assert b"xmlns:media" not in files["atom.xml"]


_plain = (
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)
    .map(one_line)
    .filter(bool)
)


@settings(max_examples=60, deadline=None)
@given(titles=st.lists(_plain, min_size=1, max_size=4), tags=st.lists(_plain, max_size=3))
def test_random_text_always_gives_feeds_that_parse(titles: list[str], tags: list[str]) -> None:
    articles = [
        article(title, number=i, summary=title, tags=tuple(dict.fromkeys(tags)), authors=(title,))
        for i, title in enumerate(titles)
    ]
    files = build(articles)
    for path in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(files[path])
        assert not parsed.bozo, parsed.get("bozo_exception")
    # Titles are checked with lxml: feedparser 6.0.14 "repairs" some text that looks
    # like double-encoded UTF-8 (it reads the title "Â¡" as "¡").
    rss_titles = etree.fromstring(files["rss.xml"]).xpath("//item/title/text()")
    atom_titles = etree.fromstring(files["atom.xml"]).xpath(
        "//a:entry/a:title/text()", namespaces={"a": "http://www.w3.org/2005/Atom"}
    )
    assert sorted(rss_titles) == sorted(atom_titles) == sorted(titles)
    assert atom_errors(files["atom.xml"]) == []
    assert json_feed_errors(json.loads(files["feed.json"])) == []


def test_no_two_atom_entries_share_an_updated_time() -> None:
    same = NOW - timedelta(days=1)
    undated = [
        article(f"Undated {n}", number=n, published=same, updated=same, first_seen=same)
        for n in range(1, 5)
    ]
    ns = {"a": "http://www.w3.org/2005/Atom"}

    def atom_times(articles: list[Article]) -> dict[str, tuple[str, str]]:
        root = etree.fromstring(build(articles)["atom.xml"])
        return {
            entry.findtext("a:title", namespaces=ns) or "": (
                entry.findtext("a:published", namespaces=ns) or "",
                entry.findtext("a:updated", namespaces=ns) or "",
            )
            for entry in root.findall("a:entry", ns)
        }

    times = atom_times(undated)
    assert len({updated for _, updated in times.values()}) == 4
    for published, updated in times.values():
        assert published == same.isoformat()  # the day and second are the story's own
        assert updated.startswith(same.isoformat()[:19] + ".")
    # A fraction of a second from the story's id alone: others arriving change nothing.
    later = atom_times([*undated, article("New", number=7, published=same, updated=same)])
    assert {title: later[title] for title in times} == times


def test_a_story_without_a_body_reads_its_summary_once_escaped() -> None:
    files = build([article("T", body="", summary="Budget <b>&</b> Bonds")])
    for path in ("rss.xml", "atom.xml"):
        entry = feedparser.parse(files[path]).entries[0]
        assert html.unescape(entry.summary) == "Budget <b>&</b> Bonds", path
    assert b"<content" not in files["atom.xml"]  # no body: no content, not the summary again


def test_section_folders_do_not_move_when_another_section_fills() -> None:
    one = build([article("A", section="Arts Culture")], ["Arts & Culture", "Arts Culture"])
    both = build(
        [article("A", section="Arts Culture"), article("B", number=2, section="Arts & Culture")],
        ["Arts & Culture", "Arts Culture"],
    )
    assert "arts-culture-2/atom.xml" in one and "arts-culture/atom.xml" not in one
    assert one["arts-culture-2/atom.xml"] == both["arts-culture-2/atom.xml"]


def test_feed_urls_are_percent_encoded() -> None:
    files = build([article("A", section="Ελληνικά")], ["Ελληνικά"])
    channel = etree.fromstring(files["ελληνικά/rss.xml"]).find("channel")
    assert channel is not None
    assert (channel.findtext("link") or "").isascii()
    self_link = channel.find("{http://www.w3.org/2005/Atom}link[@rel='self']")
    assert self_link is not None and (self_link.get("href") or "").isascii()
