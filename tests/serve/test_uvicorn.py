"""`syndicate serve` over real HTTP: the app in a uvicorn server on a free port (and the
real `syndicate serve DIR --port N` command), spoken to with http.client and raw
sockets, as feed readers, mail providers and attackers do."""

from __future__ import annotations

import gzip
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

import lxml.html
import pytest

from syndicate._store.address import StoreAddress
from syndicate._store.store import StateStore
from tests.serve.published import (
    ENV,
    app_for,
    confirm_url,
    confirmations,
    copy_site,
    digests,
    path_of,
    statuses,
    unsubscribe_url,
)
from tests.serve.server import free_port, serving

Answer = tuple[int, http.client.HTTPMessage, bytes]
FORM = {"content-type": "application/x-www-form-urlencoded"}
EMPTY: Mapping[str, str] = MappingProxyType({})


@pytest.fixture(scope="module")
def live(published: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    site = copy_site(published, tmp_path_factory.mktemp("live"))
    with serving(app_for(site)) as port:
        yield site, port


def fetch(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: str = ""
) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body.encode() or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def raw_get(port: int, target: bytes) -> bytes:
    """A request line exactly as written, over a plain socket: nothing tidies it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/feeds/rss.xml", "application/rss+xml"),
        ("/feeds/atom.xml", "application/atom+xml"),
        ("/feeds/feed.json", "application/feed+json"),
        ("/feeds/world/atom.xml", "application/atom+xml"),
        ("/feeds/archive/site/json-1.json", "application/feed+json"),
        ("/digests/", "text/html"),
    ],
)
def test_content_types_over_http(live: tuple[Path, int], path: str, expected: str) -> None:
    site, port = live
    status, headers, body = fetch(port, "GET", path)
    assert status == 200
    assert headers["content-type"].split(";")[0] == expected
    served = site / path.lstrip("/")
    assert body == (served / "index.html" if served.is_dir() else served).read_bytes()
    assert headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in headers["content-security-policy"]


def test_a_repeated_conditional_request_gets_304(live: tuple[Path, int]) -> None:
    _, port = live
    status, headers, body = fetch(port, "GET", "/feeds/rss.xml")
    assert status == 200 and body
    etag, modified = headers["etag"], headers["last-modified"]
    for validators in ({"if-none-match": etag}, {"if-modified-since": modified}):
        status, again, body = fetch(port, "GET", "/feeds/rss.xml", validators)
        assert status == 304, validators
        assert body == b"" and again["etag"] == etag


def test_gzip_over_the_wire_only_when_accepted(live: tuple[Path, int]) -> None:
    site, port = live
    feed = (site / "feeds" / "atom.xml").read_bytes()
    status, headers, body = fetch(port, "GET", "/feeds/atom.xml", {"accept-encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == feed
    status, headers, body = fetch(port, "GET", "/feeds/atom.xml")  # identity
    assert status == 200 and headers["content-encoding"] is None and body == feed


@pytest.mark.parametrize(
    "target",
    [
        b"/feeds/../syndicate.toml",
        b"/feeds/" + b"../" * 12 + b"etc/passwd",
        b"/digests/../.syndicate/state.db",
        b"/feeds/world/../../subscribers.csv",
        b"/../syndicate.toml",
        b"/feeds/%2e%2e/syndicate.toml",
        b"/feeds/..%2fsyndicate.toml",
        b"/feeds/" + b"%2e%2e%2f" * 12 + b"etc%2fpasswd",
        b"/feeds//etc/passwd",
        b"/feeds/%00",
        b"http://127.0.0.1/feeds/../syndicate.toml",
    ],
)
def test_traversal_on_the_wire_is_refused(live: tuple[Path, int], target: bytes) -> None:
    _, port = live
    answer = raw_get(port, target)
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert status in (400, 404), head
    for secret in (b"base_url", b"SQLite format", b"root:x:", b"hana.lowry"):
        assert secret not in body
    if status == 404:  # answered by the app, not refused by the HTTP parser
        assert b"x-content-type-options: nosniff" in head.lower()


def test_one_click_post_from_a_mail_client(live: tuple[Path, int]) -> None:
    """What a mail provider sends (RFC 8058, section 3.2): a POST of the fixed body to
    the List-Unsubscribe URL, without cookies, following no redirect."""
    site, port = live
    url = unsubscribe_url(digests(site)["priya.nandor@example.com"])
    status, _, body = fetch(port, "POST", path_of(url), FORM, "List-Unsubscribe=One-Click")
    assert status == 200
    assert b"You are unsubscribed" in body
    assert statuses(site)["priya.nandor@example.com"] == "unsubscribed"
    assert statuses(site)["lev.ostrander@example.org"] == "active"


def test_a_forged_token_is_refused_over_http(live: tuple[Path, int]) -> None:
    site, port = live
    real = path_of(unsubscribe_url(digests(site)["amina.clarke@example.com"]))
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    status, _, _ = fetch(port, "POST", forged, FORM, "List-Unsubscribe=One-Click")
    assert status == 400
    assert statuses(site)["amina.clarke@example.com"] == "active"


def test_double_opt_in_end_to_end_through_the_outbox(live: tuple[Path, int]) -> None:
    site, port = live
    address = "wren.albury@example.net"
    status, _, body = fetch(port, "GET", "/subscribe")
    (form,) = lxml.html.fromstring(body).xpath("//form")
    assert status == 200 and form.get("method") == "post"
    fields = urlencode({"email": address, "name": "Wren Albury", "sections": "Culture"})
    status, _, body = fetch(port, "POST", form.get("action"), FORM, fields)
    assert status == 200 and b"Check your inbox" in body
    assert statuses(site)[address] == "pending"

    deadline = time.monotonic() + 10  # the message goes out after the answer
    while not (sent := confirmations(site, address)):
        assert time.monotonic() < deadline, "no confirmation reached the outbox"
        time.sleep(0.02)
    (message,) = sent
    link = path_of(confirm_url(message))

    status, _, body = fetch(port, "GET", link)
    (button_form,) = lxml.html.fromstring(body).xpath("//form")
    assert status == 200 and button_form.xpath(".//button")
    assert statuses(site)[address] == "pending"
    status, _, body = fetch(port, "POST", button_form.get("action"), FORM, "")
    assert status == 200 and b"You are subscribed" in body
    assert statuses(site)[address] == "active"


def syndicate_command() -> list[str]:
    script = Path(sys.executable).with_name("syndicate")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "syndicate"]


@dataclass
class ServeRun:
    """A running `syndicate serve`; once it has ended, what it wrote."""

    process: subprocess.Popen[str]
    port: int
    out: str = ""
    errors: str = ""

    def first(self, method: str, path: str, *request: Any) -> Answer:
        """The first answer, once the server is up (within 30 s)."""
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, self.process.communicate()
            try:
                return fetch(self.port, method, path, *request)
            except OSError:
                assert time.monotonic() < deadline, "syndicate serve did not answer"
                time.sleep(0.05)


@contextmanager
def serve_command(site: Path, port: int, environ: Mapping[str, str] = EMPTY) -> Iterator[ServeRun]:
    """`syndicate serve SITE --port PORT` with only ENV and `environ` of ours set."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    process = subprocess.Popen(
        [*syndicate_command(), "serve", str(site), "--port", str(port)],
        env={**environment, **ENV, **environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run = ServeRun(process, port)
    try:
        yield run
    finally:
        process.terminate()
        try:
            run.out, run.errors = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            run.out, run.errors = process.communicate()


def test_the_serve_command_answers(published: Path, tmp_path: Path) -> None:
    site = copy_site(published, tmp_path)
    port = free_port()
    with serve_command(site, port) as run:
        status, headers, body = run.first("GET", "/")
        assert status == 200 and headers["content-type"].startswith("text/html")
        assert b'rel="alternate"' in body and b"Harbour Courier" in body
        status, headers, _ = fetch(port, "GET", "/feeds/feed.json")
        assert status == 200 and headers["content-type"].startswith("application/feed+json")
    assert f"http://127.0.0.1:{port}/" in run.out


def test_two_serve_instances_share_sign_ups_and_one_rate_limit(
    published: Path, tmp_path: Path, postgres_url: str
) -> None:
    # Two machines behind a balancer: copies of the site of their own, one store.
    one, two = (copy_site(published, tmp_path / name) for name in ("one", "two"))
    shared = {"SYNDICATE_DATABASE_URL": postgres_url}
    ports = free_port(), free_port()
    form = urlencode({"email": "nell@example.net", "name": "Nell"})
    with (
        serve_command(one, ports[0], shared) as first,
        serve_command(two, ports[1], shared) as second,
    ):
        assert first.first("POST", "/subscribe", FORM, form)[0] == 200
        second.first("GET", "/")
        # Signed up on one, confirmed on the other.
        [message] = confirmations(one, "nell@example.net")
        _, _, page = fetch(ports[1], "GET", path_of(confirm_url(message)))
        (button,) = lxml.html.fromstring(page).xpath("//form")
        assert fetch(ports[1], "POST", button.get("action"), FORM, "")[0] == 200
        # The client's 20 sign-ups an hour, wherever they land (one is spent above).
        answers = [
            fetch(port, "POST", "/subscribe", FORM, urlencode({"email": f"r{n}@example.net"}))[0]
            for n, port in zip(range(20), ports * 10, strict=True)
        ]
    assert answers == [200] * 19 + [429]
    with StateStore(StoreAddress(url=postgres_url)) as store:
        everyone = {s.email: s.status for s in store.subscribers.all()}
    assert everyone["nell@example.net"] == "active" and len(everyone) == 20
