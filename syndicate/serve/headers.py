"""The headers every answer of `serve` carries: a strict security policy, and weak
ETags with the Vary of a compressed answer (RFC 9110)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; img-src https: http: data:; style-src 'self' 'unsafe-inline'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # unsubscribe and confirm URLs carry tokens
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Every response, pages and files alike, carries the same strict headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(n.lower(), v) for n, v in message.get("headers", [])]
                present = {name for name, _ in headers}
                # Weak tags: a gzip body and the plain one are the same content, and
                # a strong tag may not name both (RFC 9110 8.8.3); If-None-Match
                # compares weakly, so conditional requests work the same.
                headers = [
                    (n, b"W/" + v if n == b"etag" and not v.startswith(b"W/") else v)
                    for n, v in headers
                ]
                if message["status"] == 304:  # the Vary of its 200, which gzip gives
                    headers = _varying_on_encoding(headers)
                headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _varying_on_encoding(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with Accept-Encoding in their Vary (added, or added to)."""
    varies = [value for name, value in headers if name == b"vary"]
    if any(b"accept-encoding" in value.lower() for value in varies):
        return headers
    if not varies:
        return [*headers, (b"vary", b"Accept-Encoding")]
    return [(n, v + b", Accept-Encoding" if n == b"vary" else v) for n, v in headers]
