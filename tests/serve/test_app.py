"""`syndicate serve` through Starlette's test client, on a published example site:
the files (content types, validators and 304, compression, no listing, no way out of
the served folders), the index page, security headers, one-click unsubscribe with
signed tokens, and sign-up with double opt-in through the outbox backend."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import time
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import lxml.html
import pytest
from itsdangerous.timed import TimestampSigner
from starlette.applications import Starlette
from starlette.testclient import TestClient

from syndicate.deliveries import list_id
from syndicate.serve.signup import RateLimit
from syndicate.state import StateStore
from syndicate.subscribers import SubscriberBook
from syndicate.tokens import confirm_token, unsubscribe_token
from tests.serve import (
    ACTIVE,
    EXAMPLE_BASE,
    SECRET,
    UNSUBSCRIBED,
    app_for,
    config_of,
    confirm_url,
    confirmations,
    copy_site,
    digests,
    edition_of,
    messages,
    path_of,
    statuses,
    subscriber_rows,
    suppress,
    texts,
    unsubscribe_url,
)
from tests.serve.conftest import NEWS_BASE

FEED_TYPES = {
    "rss.xml": "application/rss+xml",
    "atom.xml": "application/atom+xml",
    "feed.json": "application/feed+json",
}
ONE_CLICK = {"List-Unsubscribe": "One-Click"}  # RFC 8058, section 3.1
SIGNED_UP = "nell.quarry@example.net"
SIGNED_OUT_PAGE = "You are unsubscribed"


def media_type(response: Any) -> str:
    return str(response.headers["content-type"]).split(";")[0].strip()


def page(response: Any) -> Any:
    return lxml.html.fromstring(response.text)


def hana(site: Path) -> str:
    """The path of a real unsubscribe link: the one in Hana's digest."""
    return path_of(unsubscribe_url(digests(site)["hana.lowry@example.com"]))


def sign_up(client: TestClient, address: str = SIGNED_UP, **fields: Any) -> Any:
    return client.post("/subscribe", data={"email": address, "name": "Nell Quarry", **fields})


def sections_of(site: Path, address: str) -> tuple[str, ...]:
    with StateStore(site / ".syndicate" / "state.db") as store:
        (found,) = [s for s in SubscriberBook(store).all() if s.email == address]
    return found.sections


# --- files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("feeds/rss.xml", "application/rss+xml"),
        ("feeds/atom.xml", "application/atom+xml"),
        ("feeds/feed.json", "application/feed+json"),
        ("feeds/world/rss.xml", "application/rss+xml"),
        ("feeds/business/atom.xml", "application/atom+xml"),
        ("feeds/culture/feed.json", "application/feed+json"),
        ("feeds/archive/site/rss-1.xml", "application/rss+xml"),
        ("feeds/archive/site/atom-1.xml", "application/atom+xml"),
        ("feeds/archive/site/json-1.json", "application/feed+json"),
        ("feeds/feeds.opml", "text/x-opml"),
        ("digests/index.html", "text/html"),
        ("digests/{edition}/index.html", "text/html"),
        ("digests/{edition}/digest.txt", "text/plain"),
        ("digests/{edition}/sample.eml", "message/rfc822"),
    ],
)
def test_published_files_have_their_content_types(
    reader: TestClient, shared: Path, path: str, expected: str
) -> None:
    path = path.format(edition=edition_of(shared))
    response = reader.get(f"/{path}", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert media_type(response) == expected
    if expected.startswith(("text/", "application/")):
        assert "charset=utf-8" in response.headers["content-type"]
    assert response.content == (shared / path).read_bytes()


def test_the_archive_and_an_edition_are_served_as_pages(reader: TestClient, shared: Path) -> None:
    edition = edition_of(shared)
    archive = reader.get("/digests/")
    assert archive.status_code == 200 and media_type(archive) == "text/html"
    assert archive.content == (shared / "digests" / "index.html").read_bytes()
    assert f"{edition}/" in archive.text  # the archive links the edition
    folder = reader.get(f"/digests/{edition}/")
    assert folder.status_code == 200 and media_type(folder) == "text/html"
    assert folder.content == (shared / "digests" / edition / "index.html").read_bytes()
    # Without the slash: sent to the folder, not a listing and not an error.
    bare = reader.get(f"/digests/{edition}")
    assert bare.status_code in (301, 307, 308)
    assert bare.headers["location"].endswith(f"/digests/{edition}/")


def test_feeds_carry_etag_and_last_modified_and_answer_304(
    reader: TestClient, shared: Path
) -> None:
    first = reader.get("/feeds/atom.xml")
    assert first.status_code == 200
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    stamp = parsedate_to_datetime(modified).timestamp()
    assert stamp == int((shared / "feeds" / "atom.xml").stat().st_mtime)

    for validators in (
        {"if-none-match": etag},
        {"if-none-match": etag.removeprefix("W/")},  # If-None-Match compares weakly
        {"if-none-match": f'"something-else", {etag}'},
        {"if-modified-since": modified},
    ):
        again = reader.get("/feeds/atom.xml", headers=validators)
        assert again.status_code == 304, validators
        assert again.content == b""
        assert again.headers["etag"] == etag

    for stale in (
        {"if-none-match": '"something-else"'},
        {"if-modified-since": format_datetime(parsedate_to_datetime(modified).replace(year=2001))},
        # If-None-Match wins over If-Modified-Since (RFC 9110, 13.1.3)
        {"if-none-match": '"something-else"', "if-modified-since": modified},
    ):
        assert reader.get("/feeds/atom.xml", headers=stale).status_code == 200, stale


def test_a_changed_feed_is_sent_again(client: TestClient, site: Path) -> None:
    first = client.get("/feeds/rss.xml")
    feed = site / "feeds" / "rss.xml"
    feed.write_bytes(feed.read_bytes().replace(b"</channel>", b"<!-- new --></channel>"))
    later = feed.stat().st_mtime + 60
    os.utime(feed, (later, later))
    for validators in (
        {"if-none-match": first.headers["etag"]},
        {"if-modified-since": first.headers["last-modified"]},
    ):
        again = client.get("/feeds/rss.xml", headers=validators)
        assert again.status_code == 200, validators
        assert again.content == feed.read_bytes()
        assert again.headers["etag"] != first.headers["etag"]


@pytest.mark.parametrize("path", ["/feeds/rss.xml", "/feeds/feed.json", "/digests/", "/"])
def test_compressed_only_for_a_client_that_accepts_gzip(reader: TestClient, path: str) -> None:
    plain = reader.get(path, headers={"accept-encoding": "identity"})
    assert plain.status_code == 200
    assert "content-encoding" not in plain.headers
    assert plain.num_bytes_downloaded == len(plain.content)

    packed = reader.get(path, headers={"accept-encoding": "gzip"})
    assert packed.status_code == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert packed.content == plain.content  # decoded by the test client
    assert packed.num_bytes_downloaded < len(plain.content)

    other = reader.get(path, headers={"accept-encoding": "br"})
    assert "content-encoding" not in other.headers


def test_a_gzip_body_is_really_gzip(reader: TestClient, shared: Path) -> None:
    with reader.stream("GET", "/feeds/rss.xml", headers={"accept-encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert gzip.decompress(raw) == (shared / "feeds" / "rss.xml").read_bytes()


def test_a_compressed_body_does_not_share_the_strong_etag(reader: TestClient) -> None:
    plain = reader.get("/feeds/rss.xml", headers={"accept-encoding": "identity"})
    packed = reader.get("/feeds/rss.xml", headers={"accept-encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert (
        packed.headers["etag"].startswith("W/") or packed.headers["etag"] != plain.headers["etag"]
    )


def test_a_304_keeps_the_vary_of_its_200(reader: TestClient) -> None:
    full = reader.get("/feeds/rss.xml", headers={"accept-encoding": "gzip"})
    assert "accept-encoding" in full.headers["vary"].lower()
    again = reader.get(
        "/feeds/rss.xml", headers={"accept-encoding": "gzip", "if-none-match": full.headers["etag"]}
    )
    assert again.status_code == 304
    assert "accept-encoding" in again.headers.get("vary", "").lower()


def test_no_folder_is_listed(client: TestClient, site: Path) -> None:
    (site / "digests" / "drafts").mkdir()
    (site / "digests" / "drafts" / "notes.txt").write_text("not for readers")
    for path in (
        "/feeds/", "/feeds/world/", "/feeds/archive/", "/feeds/archive/site/", "/digests/drafts/",
    ):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404, path
        for name in ("rss.xml", "atom.xml", "feed.json", "notes.txt", "rss-1.xml"):
            assert name not in response.text


SECRETS = (b"base_url", b"SQLite format", b"root:x:", b"hana.lowry", b"Velmar")


def asgi_get(app: Starlette, target: str) -> tuple[int, bytes]:
    """A GET with exactly this request target, as uvicorn hands it over (path
    percent-decoded, nothing normalised): test clients tidy '..' away themselves."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(target),
        "raw_path": target.encode("ascii"),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[Any] = []

    async def exchange() -> None:
        finished = asyncio.Event()
        requests = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> dict[str, Any]:
            if requests:
                return requests.pop()
            await finished.wait()  # then the client goes, as a server would tell
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                finished.set()

        await asyncio.wait_for(app(scope, receive, send), timeout=10)

    asyncio.run(exchange())
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


LITERAL_ESCAPES = [
    "/feeds/../syndicate.toml",
    "/feeds/" + "../" * 12 + "etc/passwd",
    "/feeds/world/../../subscribers.csv",
    "/digests/../.syndicate/state.db",
    "/digests/../articles/world/velmar-harbour-reopens.md",
    "/feeds/./../syndicate.toml",
]
ENCODED_ESCAPES = [
    "/feeds/%2e%2e/syndicate.toml",
    "/feeds/" + "%2E%2E/" * 12 + "etc/passwd",
    "/feeds/..%2fsyndicate.toml",
    "/feeds/" + "%2e%2e%2f" * 12 + "etc%2fpasswd",
    "/digests/%2e%2e%2f.syndicate%2fstate.db",
    "/feeds/..%5csyndicate.toml",
    "/feeds//etc/passwd",
    "/feeds/%2fetc%2fpasswd",
    "/digests//etc/passwd",
    "/feeds/%00",
    "/feeds/rss.xml%00.txt",
]
OUTSIDE_THE_SERVED_FOLDERS = [
    "/syndicate.toml",
    "/subscribers.csv",
    "/.syndicate/state.db",
    "/outbox/new/",
    "/articles/world/velmar-harbour-reopens.md",
    "/templates/",
]


@pytest.mark.parametrize("target", LITERAL_ESCAPES)
def test_dot_dot_in_the_raw_path_is_refused(shared: Path, target: str) -> None:
    status, body = asgi_get(app_for(shared), target)
    assert status == 404
    assert not any(secret in body for secret in SECRETS)


@pytest.mark.parametrize("target", ENCODED_ESCAPES + OUTSIDE_THE_SERVED_FOLDERS)
def test_encoded_and_absolute_escapes_are_refused(reader: TestClient, target: str) -> None:
    response = reader.get(target)
    assert response.status_code == 404, target
    assert not any(secret in response.content for secret in SECRETS)


def test_symlinks_out_of_the_served_folders_are_refused(client: TestClient, site: Path) -> None:
    links = {
        site / "feeds" / "leak.xml": site / "syndicate.toml",
        site / "feeds" / "world" / "passwd": Path("/etc/passwd"),
        site / "feeds" / "up": site,  # a folder
        site / "digests" / "state": site / ".syndicate",
    }
    for link, target in links.items():
        link.symlink_to(target)
    for path in (
        "/feeds/leak.xml",
        "/feeds/world/passwd",
        "/feeds/up/syndicate.toml",
        "/feeds/up/subscribers.csv",
        "/digests/state/state.db",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert not any(secret in response.content for secret in SECRETS)
    assert client.get("/feeds/rss.xml").status_code == 200  # the real files still are


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
    token = unsubscribe_token(SECRET, UNSUBSCRIBED, list_id(config_of(site)))
    response = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)
    assert response.status_code == 200 and SIGNED_OUT_PAGE in response.text
    assert statuses(site)[UNSUBSCRIBED] == "unsubscribed"


def tampered(token: str) -> str:
    """One character of the signed payload changed."""
    payload, signature = token.rsplit(".", 1)
    index = len(payload) // 2
    swapped = "A" if payload[index] != "A" else "B"
    return f"{payload[:index]}{swapped}{payload[index + 1 :]}.{signature}"


def bad_token(kind: str, site: Path) -> str:
    listed = list_id(config_of(site))
    real = hana(site).rsplit("/", 1)[1]
    other = path_of(unsubscribe_url(digests(site)["lev.ostrander@example.org"])).rsplit("/", 1)[1]
    victim = "lev.ostrander@example.org"
    unsigned = json.dumps({"e": victim, "l": listed}).encode()
    forged = base64.urlsafe_b64encode(unsigned).decode().rstrip("=")
    return {
        "forged": f"{forged}.{base64.urlsafe_b64encode(os.urandom(20)).decode().rstrip('=')}",
        "tampered": tampered(real),
        "spliced": f"{other.rsplit('.', 1)[0]}.{real.rsplit('.', 1)[1]}",
        "no signature": real.rsplit(".", 1)[0],
        "other site's key": unsubscribe_token("another site's secret key", victim, listed),
        "other list": unsubscribe_token(SECRET, victim, "digest.other.example"),
        "a confirm token": confirm_token(SECRET, victim, listed),
        "garbage": "not-a-token",
    }[kind]


@pytest.mark.parametrize(
    "kind",
    [
        "forged", "tampered", "spliced", "no signature", "other site's key", "other list",
        "a confirm token", "garbage",
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


def test_a_head_request_on_the_unsubscribe_link_changes_nothing(
    client: TestClient, site: Path
) -> None:
    response = client.head(hana(site))
    assert response.status_code == 200
    assert statuses(site)["hana.lowry@example.com"] == "active"


# --- sign-up with double opt-in ---------------------------------------------------


def test_the_sign_up_form(reader: TestClient) -> None:
    response = reader.get("/subscribe")
    assert response.status_code == 200
    (form,) = page(response).xpath("//form")
    assert form.get("method") == "post" and form.get("action") == "/subscribe"
    assert {i.get("name") for i in form.xpath(".//input")} == {"email", "name", "sections"}
    assert form.xpath(".//input[@name='sections']/@value") == ["World", "Business", "Culture"]


def test_signing_up_records_pending_and_mails_a_confirmation_link(
    client: TestClient, site: Path
) -> None:
    response = sign_up(client, "Nell.Quarry@Example.NET", sections=["World", "Sport"])
    assert response.status_code == 200 and "Check your inbox" in response.text
    assert statuses(site)[SIGNED_UP] == "pending"
    assert sections_of(site, SIGNED_UP) == ("World",)  # an unknown section is dropped
    (message,) = confirmations(site, SIGNED_UP)
    assert (site / "outbox" / "new").is_dir() and len(messages(site)) == len(ACTIVE) + 1
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["From"] is not None and message["Message-ID"] is not None
    assert confirm_url(message).startswith(f"{EXAMPLE_BASE}confirm/")
    assert "Nell Quarry" in texts(message)["text/plain"]


def test_the_confirmation_link_shows_a_button_and_only_a_post_activates(
    client: TestClient, site: Path
) -> None:
    sign_up(client)
    link = path_of(confirm_url(confirmations(site, SIGNED_UP)[0]))
    shown = client.get(link)
    assert shown.status_code == 200 and SIGNED_UP in shown.text
    assert "no-store" in shown.headers["cache-control"]
    (form,) = page(shown).xpath("//form")
    assert form.get("method") == "post" and form.get("action") == link
    assert form.xpath(".//button[@type='submit']")
    assert client.get(link).status_code == 200
    assert statuses(site)[SIGNED_UP] == "pending"  # opening the link is not confirming

    done = client.post(link)
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert statuses(site)[SIGNED_UP] == "active"
    assert client.post(link).status_code == 200  # twice: still fine, still active
    assert statuses(site)[SIGNED_UP] == "active"


def test_a_head_request_on_the_confirmation_link_does_not_activate(
    client: TestClient, site: Path
) -> None:
    sign_up(client)
    link = path_of(confirm_url(confirmations(site, SIGNED_UP)[0]))
    assert client.head(link).status_code == 200
    assert statuses(site)[SIGNED_UP] == "pending"


def test_head_on_the_sign_up_form_answers_like_get(client: TestClient) -> None:
    assert client.head("/subscribe").status_code == 200


def test_the_same_answer_whoever_signs_up(client: TestClient, site: Path) -> None:
    suppress(site, "oswin.hale@example.org")  # bounced for good
    suppress(site, "never.known@example.net")
    addresses = {
        "new": SIGNED_UP,
        "pending": SIGNED_UP,
        "active": "hana.lowry@example.com",
        "suppressed subscriber": "oswin.hale@example.org",
        "suppressed stranger": "never.known@example.net",
    }
    answers = {who: sign_up(client, address) for who, address in addresses.items()}
    assert {a.status_code for a in answers.values()} == {200}
    assert len({a.text for a in answers.values()}) == 1
    for address in ("hana.lowry@example.com", "oswin.hale@example.org", "never.known@example.net"):
        assert confirmations(site, address) == [], address
    assert len(confirmations(site, SIGNED_UP)) == 2  # the new one, asking twice
    now = statuses(site)
    assert now["hana.lowry@example.com"] == "active"
    assert now["oswin.hale@example.org"] == "bounced"
    assert "never.known@example.net" not in now


def test_someone_who_left_comes_back_only_by_confirming(client: TestClient, site: Path) -> None:
    assert sign_up(client, UNSUBSCRIBED).status_code == 200
    assert statuses(site)[UNSUBSCRIBED] == "unsubscribed"
    (message,) = confirmations(site, UNSUBSCRIBED)
    assert client.post(path_of(confirm_url(message))).status_code == 200
    assert statuses(site)[UNSUBSCRIBED] == "active"


def test_one_address_gets_at_most_three_confirmations_an_hour(
    client: TestClient, site: Path
) -> None:
    spellings = ["Nell.Quarry@example.net", SIGNED_UP, "NELL.QUARRY@EXAMPLE.NET", SIGNED_UP]
    answers = [sign_up(client, address) for address in spellings]
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.text for a in answers}) == 1  # the fourth is told nothing different
    assert len(confirmations(site, SIGNED_UP)) == 3


def test_one_client_gets_429_after_twenty_sign_ups(site: Path) -> None:
    app = app_for(site)
    flood = TestClient(app, client=("203.0.113.9", 40000))
    for number in range(20):
        assert sign_up(flood, f"reader{number}@example.net").status_code == 200
    refused = sign_up(flood, "reader20@example.net")
    assert refused.status_code == 429
    assert confirmations(site, "reader20@example.net") == []
    assert "reader20@example.net" not in statuses(site)
    assert len(confirmations(site, "reader19@example.net")) == 1
    # Another client is not held back by that one.
    other = TestClient(app, client=("198.51.100.4", 40001))
    assert sign_up(other, "reader21@example.net").status_code == 200
    assert len(confirmations(site, "reader21@example.net")) == 1


def test_a_rate_limit_forgets_after_its_window() -> None:
    limits = RateLimit(per_address=3, window=0.05)
    assert [limits.allow("address:a", 3) for _ in range(4)] == [True, True, True, False]
    assert limits.allow("address:b", 3)  # per key
    time.sleep(0.08)
    assert limits.allow("address:a", 3)


def test_a_bad_address_is_refused_and_nothing_is_sent(client: TestClient, site: Path) -> None:
    response = sign_up(client, "not an address")
    assert response.status_code == 400
    assert len(messages(site)) == len(ACTIVE)


def shift_clock(monkeypatch: pytest.MonkeyPatch, days: float) -> None:
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: real(self) + int(days * 86400)
    )


def test_a_confirmation_link_works_for_a_week_and_not_after(
    client: TestClient, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up(client)
    link = path_of(confirm_url(confirmations(site, SIGNED_UP)[0]))
    shift_clock(monkeypatch, 6.9)
    assert client.get(link).status_code == 200
    shift_clock(monkeypatch, 7.1)
    assert client.get(link).status_code == 400
    assert client.post(link).status_code == 400
    assert statuses(site)[SIGNED_UP] == "pending"


@pytest.mark.parametrize(
    "kind", ["other site's key", "other list", "an unsubscribe token", "tampered"]
)
def test_a_bad_confirmation_token_is_refused(client: TestClient, site: Path, kind: str) -> None:
    sign_up(client)
    listed = list_id(config_of(site))
    real = path_of(confirm_url(confirmations(site, SIGNED_UP)[0])).rsplit("/", 1)[1]
    token = {
        "other site's key": confirm_token("another site's secret key", SIGNED_UP, listed),
        "other list": confirm_token(SECRET, SIGNED_UP, "digest.other.example"),
        "an unsubscribe token": unsubscribe_token(SECRET, SIGNED_UP, listed),
        "tampered": tampered(real.rsplit(".", 1)[0]) + "." + real.rsplit(".", 1)[1],
    }[kind]
    before = subscriber_rows(site)
    assert client.get(f"/confirm/{token}").status_code == 400
    assert client.post(f"/confirm/{token}").status_code == 400
    assert subscriber_rows(site) == before
    assert statuses(site)[SIGNED_UP] == "pending"


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
