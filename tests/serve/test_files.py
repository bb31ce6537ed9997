"""Published files served: content types, 304s, compression, no listing, no way out."""

from __future__ import annotations

import gzip
import os
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.serve.published import app_for, edition_of
from tests.serve.server import asgi_get, media_type

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
    for path in ("/feeds/world/", "/feeds/archive/", "/feeds/archive/site/", "/digests/drafts/"):
        response = client.get(path)
        assert response.status_code == 404, path
        for name in ("rss.xml", "atom.xml", "feed.json", "notes.txt", "rss-1.xml"):
            assert name not in response.text
    # /feeds/ is the page of every feed that publish wrote, not a listing.
    assert client.get("/feeds/").content == (site / "feeds" / "index.html").read_bytes()


SECRETS = (b"base_url", b"SQLite format", b"root:x:", b"hana.lowry", b"Velmar")


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
