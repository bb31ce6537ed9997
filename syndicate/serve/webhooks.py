"""`/webhooks/ses`, `/webhooks/sendgrid`, `/webhooks/mailgun`, `/webhooks/postmark`:
what a provider reports by HTTP, checked (mail/bounces/webhooks.py), then stored like
mail that came back. A provider whose secret is not set has no route: 404."""

from __future__ import annotations

import asyncio
import logging
import ssl
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from syndicate._store.store import StateStore
from syndicate.config import LoadedConfig
from syndicate.errors import WebhookRefused
from syndicate.mail.bounces.inbox import soft_rule
from syndicate.mail.bounces.webhooks import (
    MAX_BODY,
    Delivery,
    Fetch,
    mailgun_delivery,
    postmark_delivery,
    sendgrid_delivery,
    sns_delivery,
)

log = logging.getLogger("syndicate.serve")
PROVIDERS = ("ses", "sendgrid", "mailgun", "postmark")
# Mailgun retries every answer but 200 and 406 for 8 hours: a replay gets 406.
_REPLAY_STATUS = {"mailgun": 406}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect could lead off SNS's host, or off https


@dataclass
class HttpsFetch:
    """Fetches an https URL's body (the caller has checked that its host is SNS's),
    never following a redirect; signing certificates (`.pem`) are kept once fetched.
    `context` is the TLS trust (default: the system's); `route` rewrites a URL before it
    is fetched (tests send SNS's host to a local server)."""

    context: ssl.SSLContext | None = None
    route: Callable[[str], str] = str
    limit: int = 64 * 1024
    _kept: dict[str, bytes] = field(default_factory=dict, repr=False)

    def __call__(self, url: str) -> bytes:
        if not url.startswith("https://"):
            raise OSError(f"not https: {url}")
        if url in self._kept:
            return self._kept[url]
        context = self.context or ssl.create_default_context()
        opener = urllib.request.build_opener(
            _NoRedirects, urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(self.route(url), timeout=10) as response:
            body = bytes(response.read(self.limit))
        if url.endswith(".pem"):
            if len(self._kept) >= 32:
                self._kept.clear()
            self._kept[url] = body
        return body


def configured(config: LoadedConfig, provider: str) -> bool:
    """Whether the provider's route exists: its secret (SES: its topics) is set."""
    secrets = config.secrets
    return {
        "ses": bool(config.settings.bounces.sns_topics),
        "sendgrid": secrets.sendgrid_key is not None,
        "mailgun": secrets.mailgun_key is not None,
        "postmark": secrets.postmark_secret is not None,
    }[provider]


async def webhook(config: LoadedConfig, fetch: Fetch, provider: str, request: Request) -> Response:
    if not configured(config, provider):
        return PlainTextResponse("Not Found", status_code=404)
    try:
        read = _reader(config, fetch, provider, request)
        body = await _body(request)
        # SNS's certificate and a subscription's confirmation are fetched: not on the loop.
        delivery = await asyncio.to_thread(read, body)
    except WebhookRefused as exc:
        log.warning("webhook %s refused (%s): %s", provider, exc.status, exc)
        return PlainTextResponse(str(exc), status_code=exc.status)
    with StateStore(config.store) as store:
        statuses = store.bounces.record(
            delivery.request_id,
            delivery.events,
            # By its id alone: the same id with another body is a replay too.
            seen=(delivery.request_id, ""),
            event_ids=delivery.event_ids,
            rule=soft_rule(config),
        )
    if statuses is None:
        return PlainTextResponse("already received", status_code=_REPLAY_STATUS.get(provider, 409))
    log.info("webhook %s: %d events %s", provider, len(delivery.events), delivery.note)
    return PlainTextResponse("ok")


async def _body(request: Request) -> bytes:
    """The request's body, read no further than MAX_BODY (chunked bodies too)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise WebhookRefused(413, "too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise WebhookRefused(413, "too large")
    return bytes(body)


def _reader(
    config: LoadedConfig, fetch: Fetch, provider: str, request: Request
) -> Callable[[bytes], Delivery]:
    secrets, now = config.secrets, datetime.now(UTC)
    if provider == "ses":
        topics = tuple(config.settings.bounces.sns_topics)
        return lambda body: sns_delivery(body, topics, fetch, now)
    if provider == "sendgrid" and secrets.sendgrid_key is not None:
        key = secrets.sendgrid_key.get_secret_value()
        headers = {name.lower(): value for name, value in request.headers.items()}
        return lambda body: sendgrid_delivery(body, headers, key, now)
    if provider == "mailgun" and secrets.mailgun_key is not None:
        signing = secrets.mailgun_key.get_secret_value()
        return lambda body: mailgun_delivery(body, signing, now)
    if provider == "postmark" and secrets.postmark_secret is not None:
        secret = secrets.postmark_secret.get_secret_value()
        authorization = request.headers.get("authorization", "")
        return lambda body: postmark_delivery(body, authorization, secret)
    raise WebhookRefused(404, "Not Found")
