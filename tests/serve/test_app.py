"""`syndicate serve` on a published example site: index, security headers, unsubscribe, a path."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer
from starlette.testclient import TestClient

from syndicate import api
from syndicate.digests.headers import list_id
from syndicate.mail.tokens import confirm_token, unsubscribe_token
from tests.factories import markdown_record
from tests.serve.conftest import NEWS_BASE
from tests.serve.published import (
    ACTIVE,
    ENV,
    EXAMPLE_BASE,
    SECRET,
    SIGNED_UP,
    UNSUBSCRIBED,
    app_for,
    config_of,
    confirm_url,
    confirmations,
    copy_site,
    digests,
    edition_of,
    path_of,
    statuses,
    subscriber_id,
    subscriber_rows,
    tampered,
    texts,
    unsubscribe_url,
)
from tests.serve.server import asgi_get, media_type, page

FEED_TYPES = {
    "rss.xml": "application/rss+xml",
    "atom.xml": "application/atom+xml",
    "feed.json": "application/feed+json",
}
ONE_CLICK = {"List-Unsubscribe": "One-Click"}  # RFC 8058, section 3.1
SIGNED_OUT_PAGE = "You are unsubscribed"


def hana(site: Path) -> str:
    """The path of a real unsubscribe link: the one in Hana's digest."""
    return path_of(unsubscribe_url(digests(site)["hana.lowry@example.com"]))


# --- the index page -----------------------------------------------------------------


def test_the_index_links_every_feed_and_the_archive(reader: TestClient, shared: Path) -> None:
    response = reader.get("/")
    assert response.status_code == 200 and media_type(response) == "text/html"
    document = page(response)
    alternates = {
        (link.get("type"), link.get("href"))
        for link in document.xpath("/html/head/link[@rel='alternate']")
    }
    feeds = shared / "feeds"
    expected = {
        (FEED_TYPES[f.name], "/" + f.relative_to(shared).as_posix())
        for f in feeds.rglob("*")
        if f.name in FEED_TYPES and "archive" not in f.relative_to(feeds).parts
    }
    assert len(expected) == 12  # the whole site and three sections, three formats each
    expected.add(("application/atom+xml", "/digests/feed.xml"))  # the digest archive's
    assert alternates == expected
    anchors = {a.get("href") for a in document.xpath("//body//a")}
    assert {href for _, href in expected} <= anchors
    assert "/digests/" in anchors
    for kind, href in alternates:
        served = reader.get(href)
        assert served.status_code == 200 and media_type(served) == kind, href


# --- security headers ------------------------------------------------------------


def answer(kind: str, client: TestClient, site: Path) -> Any:
    edition = edition_of(site)
    if kind == "304":
        etag = client.get("/feeds/rss.xml").headers["etag"]
        return client.get("/feeds/rss.xml", headers={"if-none-match": etag})
    requests: dict[str, tuple[str, str, dict[str, Any]]] = {
        "index": ("GET", "/", {}),
        "feed": ("GET", "/feeds/rss.xml", {}),
        "json feed": ("GET", "/feeds/feed.json", {}),
        "archive": ("GET", "/digests/", {}),
        "edition": ("GET", f"/digests/{edition}/", {}),
        "redirect": ("GET", f"/digests/{edition}", {}),
        "sign-up form": ("GET", "/subscribe", {}),
        "sign-up answer": ("POST", "/subscribe", {"data": {"email": SIGNED_UP}}),
        "unsubscribe page": ("GET", hana(site), {}),
        "bad token": ("GET", "/unsubscribe/not-a-token", {}),
        "not found": ("GET", "/nothing-here", {}),
        "no listing": ("GET", "/feeds/", {}),
        "wrong method": ("DELETE", "/feeds/rss.xml", {}),
        "too large": ("POST", "/subscribe", {"data": {"email": "a@example.net", "x": "y" * 9000}}),
    }
    method, path, extra = requests[kind]
    return client.request(method, path, **extra)


def test_a_section_the_config_does_not_list_is_named_as_its_feed_names_it(site: Path) -> None:
    front = {"title": "Derby Day", "section": "Sport & Leisure", "published": "2026-12-01"}
    (site / "articles" / "sport.md").write_text(markdown_record(front), "utf-8")
    assert not api.publish(site, ENV).errors
    with TestClient(app_for(site)) as client:
        titles = page(client.get("/")).xpath("//main//li/a/text()")
    assert "Harbour Courier: Sport & Leisure (RSS)" in titles
    assert "Harbour Courier: World (Atom)" in titles  # a listed one, as the config names it


@pytest.mark.parametrize(
    "kind",
    [
        "index", "feed", "json feed", "archive", "edition", "redirect", "sign-up form",
        "sign-up answer", "unsubscribe page", "bad token", "not found", "no listing",
        "wrong method", "too large", "304",
    ],
)  # fmt: skip
def test_security_headers_on_every_answer(reader: TestClient, shared: Path, kind: str) -> None:
    response = answer(kind, reader, shared)
    policy = response.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives.get("default-src") == ["'none'"], policy
    assert "script-src" not in directives  # so no script runs at all
    assert directives.get("frame-ancestors") == ["'none'"]
    assert directives.get("form-action") == ["'self'"]
    assert directives.get("base-uri") == ["'none'"]
    assert "unsafe-eval" not in policy
    assert response.headers.get("x-content-type-options") == "nosniff"


def test_too_many_clients_answer_gets_the_headers_too(site: Path) -> None:
    flood = TestClient(app_for(site), client=("203.0.113.50", 1000))
    for number in range(20):
        flood.post("/subscribe", data={"email": f"flood{number}@example.net"})
    refused = flood.post("/subscribe", data={"email": "flood-last@example.net"})
    assert refused.status_code == 429
    assert "default-src 'none'" in refused.headers["content-security-policy"]
    assert refused.headers["x-content-type-options"] == "nosniff"


# --- unsubscribe -----------------------------------------------------------------


def test_every_digest_carries_a_working_unsubscribe_link(reader: TestClient, shared: Path) -> None:
    sent = digests(shared)
    assert sorted(sent) == sorted(ACTIVE)
    for address, message in sent.items():
        url = unsubscribe_url(message)
        assert url.startswith(f"{EXAMPLE_BASE}unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        parts = texts(message)
        assert url in parts["text/plain"] and url in parts["text/html"], address
        shown = reader.get(path_of(url))
        assert shown.status_code == 200, address
        assert address in shown.text
        assert "no-store" in shown.headers["cache-control"]
        (form,) = page(shown).xpath("//form")
        assert form.get("method") == "post" and form.get("action") == path_of(url)
        assert form.xpath(".//button[@type='submit']")
    # Looking changes nothing: mail scanners open links.
    assert all(statuses(shared)[address] == "active" for address in ACTIVE)


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_post_unsubscribes_at_once(client: TestClient, site: Path, encoding: str) -> None:
    before = statuses(site)
    if encoding == "urlencoded":
        response = client.post(hana(site), data=ONE_CLICK)
    else:
        response = client.post(hana(site), files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200  # RFC 8058: no redirect, no confirmation step
    assert SIGNED_OUT_PAGE in response.text
    after = statuses(site)
    assert after["hana.lowry@example.com"] == "unsubscribed"
    assert {a: s for a, s in after.items() if a != "hana.lowry@example.com"} == {
        a: s for a, s in before.items() if a != "hana.lowry@example.com"
    }


def test_the_unsubscribe_button_posts_the_one_click_form(client: TestClient, site: Path) -> None:
    form = page(client.get(hana(site))).xpath("//form")[0]
    fields = {i.get("name"): i.get("value") for i in form.xpath(".//input")}
    assert fields == ONE_CLICK
    response = client.post(form.get("action"), data=fields)
    assert response.status_code == 200 and SIGNED_OUT_PAGE in response.text
    assert statuses(site)["hana.lowry@example.com"] == "unsubscribed"


def test_unsubscribing_twice_gets_the_same_friendly_page(client: TestClient, site: Path) -> None:
    first = client.post(hana(site), data=ONE_CLICK)
    second = client.post(hana(site), data=ONE_CLICK)
    assert first.status_code == second.status_code == 200
    assert first.text == second.text
    assert client.get(hana(site)).status_code == 200
    # Someone the store already had as unsubscribed: the same page, still unsubscribed.
    listed = list_id(config_of(site).settings.site.host)
    token = unsubscribe_token(SECRET, subscriber_id(site, UNSUBSCRIBED), listed)
    response = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
    assert response.status_code == 200 and SIGNED_OUT_PAGE in response.text
    assert statuses(site)[UNSUBSCRIBED] == "unsubscribed"


def old_token(key: str, email: str, listed: str) -> str:
    """An unsubscribe token as links carried them before they were opaque."""
    return str(
        URLSafeSerializer(key, salt="syndicate-unsubscribe").dumps({"e": email, "l": listed})
    )


def bad_token(kind: str, site: Path) -> str:
    listed = list_id(config_of(site).settings.site.host)
    real = hana(site).rsplit("/", 1)[1]
    other = path_of(unsubscribe_url(digests(site)["lev.ostrander@example.org"])).rsplit("/", 1)[1]
    victim = "lev.ostrander@example.org"
    number = subscriber_id(site, victim)
    unsigned = json.dumps({"e": victim, "l": listed}).encode()
    forged = base64.urlsafe_b64encode(unsigned).decode().rstrip("=")
    return {
        "forged": f"{forged}.{base64.urlsafe_b64encode(os.urandom(20)).decode().rstrip('=')}",
        "tampered": tampered(real),
        "spliced": real[:16] + other[16:],  # one's seal, the other's sealed id
        "cut short": real[:-3],
        "old, tampered": tampered(old_token(SECRET, victim, listed)),
        "old, other list": old_token(SECRET, victim, "digest.other.example"),
        "other site's key": unsubscribe_token("another site's secret key", number, listed),
        "other list": unsubscribe_token(SECRET, number, "digest.other.example"),
        "a confirm token": confirm_token(SECRET, victim, listed),
        "garbage": "not-a-token",
    }[kind]


@pytest.mark.parametrize(
    "kind",
    [
        "forged", "tampered", "spliced", "cut short", "old, tampered", "old, other list",
        "other site's key", "other list", "a confirm token", "garbage",
    ],
)  # fmt: skip
def test_a_bad_unsubscribe_token_is_refused_and_changes_nothing(
    client: TestClient, site: Path, kind: str
) -> None:
    token = bad_token(kind, site)
    before = subscriber_rows(site)
    shown = client.get(f"/unsubscribe/{token}")
    posted = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
    assert shown.status_code == posted.status_code == 400
    assert "lev.ostrander" not in shown.text + posted.text
    assert subscriber_rows(site) == before


def test_the_links_in_mail_sent_before_tokens_were_opaque_still_unsubscribe(
    client: TestClient, site: Path
) -> None:
    listed = list_id(config_of(site).settings.site.host)
    token = old_token(SECRET, "lev.ostrander@example.org", listed)
    assert "lev.ostrander" in base64.urlsafe_b64decode(token.split(".")[0] + "==").decode()
    response = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
    assert response.status_code == 200 and SIGNED_OUT_PAGE in response.text
    assert statuses(site)["lev.ostrander@example.org"] == "unsubscribed"


def test_an_unsubscribe_link_names_nobody_in_clear(site: Path) -> None:
    token = hana(site).rsplit("/", 1)[1]
    assert re.fullmatch("[a-z2-7]{16,40}", token), token
    decoded = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    assert b"hana" not in decoded.lower() and b"@" not in decoded


def test_a_head_request_on_the_unsubscribe_link_changes_nothing(
    client: TestClient, site: Path
) -> None:
    response = client.head(hana(site))
    assert response.status_code == 200
    assert statuses(site)["hana.lowry@example.com"] == "active"


# --- a site served under a path -----------------------------------------------------


@pytest.fixture
def news(published_under_a_path: Path, tmp_path: Path) -> Path:
    return copy_site(published_under_a_path, tmp_path)


def test_a_base_url_with_a_path_is_served_under_that_path(news: Path) -> None:
    client = TestClient(app_for(news), follow_redirects=False)
    feed = client.get("/news/feeds/atom.xml")
    assert feed.status_code == 200 and media_type(feed) == "application/atom+xml"
    assert client.get("/feeds/atom.xml").status_code == 404
    assert client.get("/news/digests/").status_code == 200
    root = client.get("/")
    assert root.status_code in (301, 302, 307, 308) and root.headers["location"] == "/news/"
    assert client.get("/news").headers["location"].endswith("/news/")
    document = page(client.get("/news/"))
    hrefs = document.xpath("/html/head/link[@rel='alternate']/@href")
    assert "/news/digests/feed.xml" in hrefs  # the digest archive's
    hrefs.remove("/news/digests/feed.xml")
    assert len(hrefs) == 12 and all(h.startswith("/news/feeds/") for h in hrefs)
    assert "/news/digests/" in document.xpath("//body//a/@href")
    status, _ = asgi_get(app_for(news), "/news/feeds/../syndicate.toml")
    assert status == 404


def test_under_a_path_unsubscribe_and_sign_up_work(news: Path) -> None:
    client = TestClient(app_for(news), follow_redirects=False)
    url = unsubscribe_url(digests(news)["juno.feather@example.com"])
    assert url.startswith(f"{NEWS_BASE}unsubscribe/")
    shown = client.get(path_of(url))
    assert page(shown).xpath("//form/@action") == [path_of(url)]
    assert client.post(path_of(url), data=ONE_CLICK).status_code == 200
    assert statuses(news)["juno.feather@example.com"] == "unsubscribed"

    assert page(client.get("/news/subscribe")).xpath("//form/@action") == ["/news/subscribe"]
    assert client.post("/news/subscribe", data={"email": SIGNED_UP}).status_code == 200
    link = confirm_url(confirmations(news, SIGNED_UP)[0])
    assert link.startswith(f"{NEWS_BASE}confirm/")
    assert client.post(path_of(link)).status_code == 200
    assert statuses(news)[SIGNED_UP] == "active"
