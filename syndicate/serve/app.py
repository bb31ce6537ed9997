"""The Starlette app of `syndicate serve`: the site's URLs under its base URL's path."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import anyio
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Scope

from syndicate._store.store import StateStore
from syndicate._util.language import short_date, writing_direction
from syndicate._util.text import slugify
from syndicate.config import LoadedConfig
from syndicate.digests.headers import list_id
from syndicate.feeds.extras import KIND_NAMES
from syndicate.feeds.model import MEDIA_TYPES
from syndicate.mail.bounces.webhooks import Fetch
from syndicate.mail.subscribers import RowError, check_row
from syndicate.mail.tokens import read_confirm_token, read_unsubscribe_token, signing_key
from syndicate.paths import DIGEST_FEED
from syndicate.serve.feed_page import READERS, channel_title, read_feed_cached
from syndicate.serve.files import ARCHIVE_FEED, FeedFiles, content_type_of
from syndicate.serve.headers import SecurityHeaders
from syndicate.serve.pages import Site, error_page, translated
from syndicate.serve.signup import (
    SignupLimits,
    confirm,
    confirmation_message,
    record_pending,
    send_confirmation,
)
from syndicate.serve.speech import Speech, speech_of, speeches_for
from syndicate.serve.webhooks import PROVIDERS, HttpsFetch, webhook

log = logging.getLogger("syndicate.serve")
MAX_FORM_BYTES = 8 * 1024
READS = ("GET", "HEAD")  # a link checker's HEAD must change nothing, as GET does not
TRAP_FIELD = "website"  # the sign-up form's field that people never see (signup.py)
# The subscription feeds of a scope's folder: their media types and kinds' names.
FEED_TYPES = {
    name: (MEDIA_TYPES[kind], KIND_NAMES[kind])
    for name, kind in (("rss.xml", "rss"), ("atom.xml", "atom"), ("feed.json", "json"))
}
KIND_OF_TYPE = dict(FEED_TYPES.values())  # 'application/rss+xml': 'RSS'


def create_app(config: LoadedConfig, fetch: Fetch | None = None) -> Starlette:
    """The app for the site that `config` describes; `fetch` reads SNS's certificates
    and confirms its subscriptions (tests point it at a local server)."""
    key, note = signing_key(config)
    if note is not None:
        log.warning(note.message)
    site = Site(config, key, SignupLimits(config.store), speeches_for(config))
    for folder in (config.paths.feeds, config.paths.digests):
        folder.mkdir(parents=True, exist_ok=True)
    fetcher = fetch or HttpsFetch()
    routes: list[BaseRoute] = [
        Route("/", partial(_index, site)),
        Mount(
            "/feeds",
            FeedFiles(directory=config.paths.feeds, page=partial(_feed_page, site, "feeds/")),
        ),
        Mount(
            "/digests",
            FeedFiles(
                directory=config.paths.digests,
                page=partial(_feed_page, site, "digests/"),
                documents=ARCHIVE_FEED,
            ),
        ),
        Route(
            "/unsubscribe/{token}",
            partial(_unsubscribe, site),
            methods=["GET", "POST"],
        ),
        Route("/subscribe", partial(_subscribe, site), methods=["GET", "POST"]),
        Route("/confirm/{token}", partial(_confirm, site), methods=["GET", "POST"]),
        *(
            Route(
                f"/webhooks/{name}",
                partial(webhook, config, fetcher, name),
                methods=["POST"],
            )
            for name in PROVIDERS
        ),
    ]
    error = partial(error_page, site)  # 404, 405 and 500 as the site's own pages
    prefix = site.base.rstrip("/")
    if prefix:
        routes = [
            Route("/", lambda request: RedirectResponse(f"{prefix}/")),
            Mount(prefix, routes=routes),
        ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders), Middleware(GZipMiddleware, minimum_size=512)],
        exception_handlers={HTTPException: error, 500: error},
    )


async def _index(site: Site, request: Request) -> Response:
    speech = speech_of(site.speeches, request)
    feeds = []
    root = site.config.paths.feeds
    # In the site's section order (folders are the sections' slugs), the rest A-Z; each
    # named as the site names it (scope: the folder's path under feeds/).
    configured = site.config.settings.site.sections
    names = {f"{slugify(name)}/": name for name in configured}
    order = [slugify(name) for name in configured]
    sections = sorted(
        (p for p in root.iterdir() if p.is_dir() and p.name != "archive"),
        key=lambda p: (order.index(p.name) if p.name in order else len(order), p.name),
    )
    folders = [root, *sections]
    for folder in folders:
        scope = "" if folder == site.config.paths.feeds else f"{folder.name}/"
        label = site.config.title
        if scope in names:
            label = f"{label}: {names[scope]}"
        elif scope:  # a section the config does not list: as its own feed names it
            label = _named_in_feed(folder) or f"{label}: {folder.name}"
        for name, (media_type, kind) in FEED_TYPES.items():
            if (folder / name).is_file():
                url = f"{site.base}feeds/{scope}{name}"
                feeds.append({"url": url, "type": media_type, "title": f"{label} ({kind})"})
    if site.config.paths.digest_feed.is_file():
        heading = translated(speech, "Email digest archive")
        feeds.append(
            {
                "url": f"{site.base}digests/{DIGEST_FEED}",
                "type": MEDIA_TYPES["atom"],
                "title": f"{site.config.title}: {heading} ({KIND_NAMES['atom']})",
            }
        )
    return site.page(
        speech,
        "index",
        feeds=feeds,
        archive_url=f"{site.base}digests/",
        subscribe_url=f"{site.base}subscribe",
    )


def _named_in_feed(folder: Path) -> str | None:
    for name in ("rss.xml", "atom.xml"):
        if (folder / name).is_file():
            return channel_title(folder / name)
    return None


async def _feed_page(
    site: Site, folder: str, scope: Scope, path: str, content: bytes
) -> Response | None:
    """The page of a feed document, for a browser (serve/feed_page.py); None if the
    document cannot be read, and it is served as it is."""
    view = await anyio.to_thread.run_sync(read_feed_cached, content)
    if view is None:
        return None
    speech = speech_of(site.speeches, Request(scope))
    settings = site.config.settings.site
    url = f"{settings.base_url}{folder}{quote(path)}"
    content_type = content_type_of(f"{folder}{path}") or ""
    media_type = content_type.split(";")[0]
    kind = KIND_OF_TYPE[media_type]
    stories = [
        {
            "title": story.title,
            "link": story.link,
            "summary": story.summary,
            "date": _shown_date(story.published, settings.zone, speech.language),
            "datetime": story.published.isoformat() if story.published else "",
        }
        for story in view.stories
    ]
    readers = [{"name": reader.name, "url": reader.link(url)} for reader in READERS]
    feed = {"language": settings.language, **writing_direction(settings.language)}
    page = site.page(
        speech,
        "feed",
        view=view,
        kind=kind,
        url=url,
        stories=stories,
        readers=readers,
        feed=feed,
        media_type=media_type,
    )
    page.headers["cache-control"] = "public, max-age=300"  # as the file itself
    return page


def _shown_date(moment: datetime | None, zone: ZoneInfo, language: str) -> str:
    """A story's date as the page shows it; none for one at the calendar's very ends."""
    if moment is None:
        return ""
    try:
        return short_date(moment, zone, language)
    except (OverflowError, ValueError):
        return ""


async def _unsubscribe(site: Site, request: Request) -> Response:
    speech = speech_of(site.speeches, request)
    token = request.path_params["token"]
    who = read_unsubscribe_token(site.key, token, list_id(site.config.settings.site.host))
    if who is None:
        return site.notice(
            speech,
            translated(speech, "This link does not work"),
            translated(
                speech,
                "It was changed or is not one of ours. Use the link in a digest you received.",
            ),
            400,
        )
    with StateStore(site.config.store) as store:
        subscriber = store.subscribers.named_by(who)
    if subscriber is None:  # deleted since (`remove --forget`): nothing is sent to them
        return site.notice(
            speech,
            translated(speech, "You are unsubscribed"),
            translated(speech, "No digests go to you from %(site)s.") % {"site": site.config.title},
            200,
        )
    action = f"{site.base}unsubscribe/{token}"
    if request.method in READS:
        return site.page(speech, "unsubscribe", email=subscriber.email, done=False, action=action)
    form = await _form(request)
    if form is None:
        return _too_large(site, speech)
    with StateStore(site.config.store) as store:
        store.subscribers.set_status(subscriber.email, "unsubscribed")
    # RFC 8058: a one-click POST from a mail client gets a 200, whatever it holds.
    return site.page(speech, "unsubscribe", email=subscriber.email, done=True, action=action)


async def _subscribe(site: Site, request: Request) -> Response:
    speech = speech_of(site.speeches, request)
    sections = list(site.config.settings.site.sections)
    # A menu only where there is a choice; the browser's language comes chosen.
    languages = [
        {"tag": tag, "name": other.name, "selected": other is speech}
        for tag, other in site.speeches.items()
    ]
    shown: dict[str, Any] = {
        "sections": sections,
        "languages": languages if len(languages) > 1 else [],
        "action": f"{site.base}subscribe",
        "trap": TRAP_FIELD,
    }
    if request.method in READS:
        return site.page(speech, "subscribe", sent=False, **shown)
    form = await _form(request)
    if form is None:
        return _too_large(site, speech)
    client = request.client.host if request.client else "unknown"
    if not site.limits.allow_client(client):
        return site.notice(
            speech,
            translated(speech, "Too many requests"),
            translated(speech, "Please try again in an hour."),
            429,
        )
    if form.get(TRAP_FIELD):
        # Only a robot fills the field nobody sees: the same answer, and nothing sent.
        log.info("sign-up from %s with the hidden field filled: ignored", client)
        return site.page(speech, "subscribe", sent=True, **shown)
    chosen = [s for s in form.getlist("sections") if isinstance(s, str) and s in sections]
    try:
        row = check_row(
            str(form.get("email") or ""),
            str(form.get("name") or ""),
            chosen,
            language=_language_asked(site, speech, form.get("language")),
            offered=list(site.speeches),
        )
    except RowError as exc:
        heading = translated(speech, "Please check the form")
        return site.notice(speech, heading, _form_problem(speech, exc.field), 400)
    reader = site.speeches.get(row.language or "", speech)
    task = None
    allowed = site.limits.allow(f"address:{row.email}", site.limits.per_address)
    if allowed and record_pending(site.config, row):
        message = confirmation_message(site.config, reader, site.key, row.email)
        task = BackgroundTask(send_confirmation, site.config, row.email, message)
    response = site.page(reader, "subscribe", sent=True, **shown)
    response.background = task
    return response


async def _confirm(site: Site, request: Request) -> Response:
    speech = speech_of(site.speeches, request)
    token = request.path_params["token"]
    sign_up = read_confirm_token(site.key, token, list_id(site.config.settings.site.host))
    if sign_up is None:
        return site.notice(
            speech,
            translated(speech, "This link does not work"),
            translated(
                speech,
                "It was changed, is not one of ours, or is more than a week old. Sign up again.",
            ),
            400,
        )
    action = f"{site.base}confirm/{token}"
    if request.method in READS:
        # A button, not the link itself: mail scanners open links, people press buttons.
        return site.page(speech, "confirm", email=sign_up.email, done=False, action=action)
    if not confirm(site.config, sign_up):
        return site.notice(
            speech,
            translated(speech, "This link does not work"),
            translated(speech, "Sign up again, please."),
            400,
        )
    return site.page(speech, "confirm", email=sign_up.email, done=True, action=action)


def _language_asked(site: Site, speech: Speech, chosen: object) -> str:
    """The language a sign-up asks for: the form's choice; without one (a site of one
    language shows no menu) the browser's, where it is not the site's own; '' for the
    site's, so that a subscriber who chose nothing follows the site's language."""
    if isinstance(chosen, str) and chosen:
        return chosen
    return "" if speech.language == next(iter(site.speeches)) else speech.language


def _form_problem(speech: Speech, field: str) -> str:
    """What is wrong with a sign-up, in the reader's language (the checks' own words,
    which name values and rules, are for the operator's logs and commands)."""
    if field == "email":
        return translated(speech, "That is not an email address we can send to.")
    if field == "name":
        return translated(speech, "That name is too long.")
    if field == "language":
        return translated(speech, "Please choose one of the languages offered.")
    return translated(speech, "Something in the form cannot be taken.")


def _too_large(site: Site, speech: Speech) -> Response:
    return site.notice(
        speech,
        translated(speech, "Too much"),
        translated(speech, "That request is too large."),
        413,
    )


async def _form(request: Request) -> Any:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    return await request.form(max_files=0, max_fields=40)
