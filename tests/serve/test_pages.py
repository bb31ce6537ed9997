"""One look on every page: `serve`'s pages, its error pages, and the pages `publish`
writes (feeds/index.html, digests/index.html) all stand on templates/layout.html.j2
with templates/style.css inline; a site's own style.css restyles every one of them.
Error pages are the site's pages, in the reader's language, with the error's status."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from starlette.testclient import TestClient

from syndicate import api
from syndicate._util.language import catalogue
from syndicate._util.templating import default_templates_dir
from tests.serve.published import ENV, app_for, copy_site, offer_languages
from tests.serve.server import media_type, page

STYLE = (default_templates_dir() / "style.css").read_text("utf-8")
GERMAN = catalogue("de")


def stands_on_the_layout(html: str) -> bool:
    """The page has the masthead, one main landmark and our whole stylesheet."""
    document = page_of(html)
    styles = document.xpath("//head/style/text()")
    return (
        len(document.xpath("//header[@class='masthead']")) == 1
        and len(document.xpath("//main")) == 1
        and any(STYLE.strip() in text for text in styles)
    )


def page_of(html: str) -> etree._Element:
    return etree.fromstring(html.encode("utf-8"), etree.HTMLParser())


@pytest.fixture
def bilingual(site: Path) -> Path:
    return offer_languages(site, "de")


@pytest.fixture
def german(bilingual: Path) -> Iterator[TestClient]:
    with TestClient(app_for(bilingual), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    "path", ["/", "/subscribe", "/confirm/nothing", "/unsubscribe/nothing", "/nowhere"]
)
def test_every_page_of_serve_stands_on_the_layout(reader: TestClient, path: str) -> None:
    response = reader.get(path)
    assert response.headers["content-security-policy"].count("default-src") == 1
    assert media_type(response) == "text/html"
    assert stands_on_the_layout(response.text), path


def test_the_pages_publish_writes_stand_on_the_layout(shared: Path) -> None:
    for written in ("feeds/index.html", "digests/index.html"):
        assert stands_on_the_layout((shared / written).read_text("utf-8")), written


def test_a_feed_page_stands_on_the_layout(reader: TestClient) -> None:
    response = reader.get("/feeds/rss.xml", headers={"accept": "text/html"})
    assert media_type(response) == "text/html" and stands_on_the_layout(response.text)


def test_the_stylesheet_can_go_into_xml_and_templates_as_it_is() -> None:
    # feed.xsl carries it as XML text; layout.html.j2 includes it as a template.
    assert "<" not in STYLE and "&" not in STYLE and "]]>" not in STYLE
    assert not re.search(r"\{[{%#]", STYLE)


def test_the_feed_stylesheet_carries_the_same_look(shared: Path) -> None:
    transform = etree.XSLT(etree.parse(str(shared / "feeds" / "feed.xsl")))
    shown = str(transform(etree.parse(str(shared / "feeds" / "rss.xml"))))
    assert STYLE.strip() in shown and 'class="card"' in shown


def test_an_address_with_nothing_behind_it_gets_the_sites_page(
    german: TestClient,
) -> None:
    response = german.get("/no/such/page", headers={"accept-language": "de"})
    assert response.status_code == 404 and media_type(response) == "text/html"
    assert response.headers["content-language"] == "de"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    document = page(response)
    assert document.xpath("string(//h1)") == GERMAN.gettext("Page not found") != "Page not found"
    assert document.xpath("string(//html/@lang)") == "de"
    # The same for a file the published folders do not have.
    for missing in ("/feeds/nothing.xml", "/digests/nothing/"):
        assert german.get(missing).status_code == 404
        assert "Page not found" in german.get(missing).text


def test_a_method_an_address_does_not_take_keeps_its_allow_header(german: TestClient) -> None:
    response = german.delete("/subscribe")
    assert response.status_code == 405
    assert set(re.split(r",\s*", response.headers["allow"])) >= {"GET", "POST"}
    assert page(response).xpath("string(//h1)") == "Not allowed here"
    assert german.post("/webhooks/mailgun", content=b"{}").status_code != 405
    assert german.get("/webhooks/mailgun").status_code == 405


def test_a_fault_of_ours_is_a_page_not_a_trace(bilingual: Path) -> None:
    (bilingual / ".syndicate" / "state.db").unlink()
    (bilingual / ".syndicate" / "state.db").mkdir()  # the store cannot be opened
    with TestClient(app_for(bilingual), raise_server_exceptions=False) as client:
        response = client.post("/subscribe", data={"email": "new@example.net"})
    assert response.status_code == 500 and media_type(response) == "text/html"
    # Answered outside the middleware, with the same strict headers all the same.
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "Traceback" not in response.text
    assert page(response).xpath("string(//h1)") == "Something went wrong on our side"
    assert stands_on_the_layout(response.text)


def test_a_sites_own_stylesheet_restyles_every_page(tmp_path: Path, published: Path) -> None:
    site = copy_site(published, tmp_path)
    (site / "templates").mkdir(exist_ok=True)
    own = "body > p { color: rebeccapurple; } /* headings & links: ours */\n"
    (site / "templates" / "style.css").write_text(own, "utf-8")
    assert not api.publish(site, ENV).errors
    for written in ("feeds/index.html", "digests/index.html", "feeds/feed.xsl"):
        text = (site / written).read_text("utf-8")
        assert "rebeccapurple" in text and "--accent" not in text, written
    # feed.xsl stays XML, and its page carries the site's stylesheet as it is.
    transform = etree.XSLT(etree.parse(str(site / "feeds" / "feed.xsl")))
    assert own in str(transform(etree.parse(str(site / "feeds" / "rss.xml"))))
    with TestClient(app_for(site)) as client:
        for path in ("/", "/subscribe", "/nowhere"):
            assert "rebeccapurple" in client.get(path).text, path
