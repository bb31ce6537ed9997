from __future__ import annotations

from pathlib import Path

from lxml import etree, html

from syndicate._util.language import catalogue
from syndicate._util.templating import template_environment
from syndicate.feeds import build_feeds
from tests.factories import article
from tests.feeds.checks import build, feed_site


def sample() -> dict[str, bytes]:
    return build(
        [article("A", number=1), article("B <&>", number=2, section="Business")],
        ["World", "Business"],
        title='Harbour "Courier" & <Co>',
    )


def test_opml_lists_every_feed_of_every_scope() -> None:
    files = sample()
    root = etree.fromstring(files["feeds.opml"])
    urls = sorted(
        outline.get("xmlUrl") for outline in root.iter("outline") if outline.get("xmlUrl")
    )
    expected = sorted(
        f"https://news.example.com/feeds/{scope}{name}"
        for scope in ("", "world/", "business/")
        for name in ("rss.xml", "atom.xml", "feed.json")
    )
    assert urls == expected
    assert root.findtext("head/title") == 'Harbour "Courier" & <Co> feeds'


def test_the_feeds_page_offers_every_feed_in_a_labelled_box() -> None:
    files = sample()
    document = html.fromstring(files["index.html"])
    boxes = document.xpath("//input[@readonly]")
    expected = sorted(
        f"https://news.example.com/feeds/{scope}{name}"
        for scope in ("", "world/", "business/")
        for name in ("rss.xml", "atom.xml", "feed.json")
    )
    assert sorted(box.get("value") for box in boxes) == expected
    for box in boxes:  # each named by its label, for people and screen readers alike
        (label,) = document.xpath(f"//label[@for='{box.get('id')}']")
        assert label.text_content().endswith(("(RSS)", "(Atom)", "(JSON Feed)"))
    assert document.xpath("string(//h2[1])") == 'Harbour "Courier" & <Co>'
    assert "<Co>" not in files["index.html"].decode()
    assert len(document.xpath("/html/head/link[@rel='alternate']")) == len(expected)


def test_link_tags_are_escaped_html() -> None:
    files = sample()
    snippet = files["links.html"].decode()
    assert snippet.count('<link rel="alternate"') == 3
    assert 'type="application/atom+xml"' in snippet
    assert "&#34;Courier&#34; &amp; &lt;Co&gt;" in snippet or "&quot;Courier&quot;" in snippet
    assert "<Co>" not in snippet
    assert files["business/links.html"].decode().count("/feeds/business/") == 3


def test_the_stylesheet_turns_a_feed_into_a_readable_page() -> None:
    files = sample()
    transform = etree.XSLT(etree.fromstring(files["feed.xsl"]))
    for path in ("rss.xml", "atom.xml"):
        page = transform(etree.fromstring(files[path]))
        text = str(page)
        assert "<h3>" in text and "B &lt;&amp;&gt;" in text, path
        assert "https://news.example.com/world/story-1/" in text


def test_a_site_template_replaces_the_stylesheet(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "feed.xsl").write_text("<!-- ours -->")
    files = {
        f.path: f.content
        for f in build_feeds([article("A")], ["World"], feed_site(), template_environment(tmp_path))
    }
    assert files["feed.xsl"] == b"<!-- ours -->"


def test_our_stylesheet_speaks_the_sites_language() -> None:
    files = {
        f.path: f.content
        for f in build_feeds(
            [article("A")],
            ["World"],
            feed_site(language="ar"),
            template_environment(None, language="ar"),
        )
    }
    page = files["feed.xsl"].decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert catalogue("ar").gettext("feed") in page and "This is a web feed" not in page
    etree.XSLT(etree.fromstring(files["feed.xsl"]))  # still XSLT


def test_a_sites_own_stylesheet_is_copied_not_rendered(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "feed.xsl").write_text("<!-- {{ not jinja }} {% raw %} -->")
    files = {
        f.path: f.content
        for f in build_feeds([article("A")], ["World"], feed_site(), template_environment(tmp_path))
    }
    assert files["feed.xsl"] == b"<!-- {{ not jinja }} {% raw %} -->"
