"""A local HTTPS server standing in for SNS: it serves the signing certificate and
answers subscription confirmations, with TLS from a test CA (no network)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import ThreadingHTTPServer
from socket import socket
from typing import Any

import trustme

from syndicate.serve.webhooks import HttpsFetch
from tests.mail.sites import QuietHandler, serving
from tests.serve.webhook_requests import SNS_HOST


@dataclass
class SnsStandIn:
    """What the server serves (path: body; a str body is a redirect there), and the
    paths it was asked for."""

    files: dict[str, bytes | str] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)


class _Handler(QuietHandler):
    def __init__(self, stand_in: SnsStandIn, *args: Any) -> None:
        self.stand_in = stand_in
        super().__init__(*args)

    def do_GET(self) -> None:
        self.stand_in.asked.append(self.path)
        body = self.stand_in.files.get(self.path.split("?")[0])
        if isinstance(body, str):
            self.send_response(302)
            self.send_header("Location", body)
            self.end_headers()
            return
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def sns_stand_in(stand_in: SnsStandIn) -> Iterator[HttpsFetch]:
    """The server running; yields the fetcher that `serve` uses, pointed at it: SNS's
    host is sent to 127.0.0.1, whose certificate only the test CA vouches for."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)

    class TlsServer(ThreadingHTTPServer):
        def get_request(self) -> tuple[socket, Any]:
            connection, address = super().get_request()
            return server_context.wrap_socket(connection, server_side=True), address

    with serving(TlsServer, partial(_Handler, stand_in)) as server:
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
        here = f"127.0.0.1:{server.server_address[1]}"
        yield HttpsFetch(context=client_context, route=lambda url: url.replace(SNS_HOST, here, 1))
