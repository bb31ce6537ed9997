"""Published files over HTTP: feeds with their own content types (and a page for a
browser that asks for HTML first), the digest archive.

Starlette's StaticFiles gives ETag, Last-Modified and 304 on conditional requests,
refuses paths that leave the folder (symlinks too), and lists no folder.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from syndicate.paths import DIGEST_FEED
from syndicate.serve.feed_page import DOCUMENT, prefers_html

# The digest archive's feed, under digests/.
ARCHIVE_FEED = re.compile(rf"^{re.escape(DIGEST_FEED)}$")
# Makes the page of a feed document for a browser: the request's scope, the document's
# path under its folder (feeds/, digests/) and its bytes; None to serve the file as it is.
FeedPage = Callable[[Scope, str, bytes], Awaitable[Response | None]]

# By name, as the feeds stage writes them: rss.xml, atom-3.xml, feed.json, feed-2.json.
_TYPES = (
    (re.compile(r"(^|/)rss(-\d+)?\.xml$"), "application/rss+xml; charset=utf-8"),
    (re.compile(r"(^|/)atom(-\d+)?\.xml$"), "application/atom+xml; charset=utf-8"),
    (re.compile(r"(^|/)(feed|json-\d+)\.json$"), "application/feed+json; charset=utf-8"),
    (re.compile(rf"(^|/)digests/{re.escape(DIGEST_FEED)}$"), "application/atom+xml; charset=utf-8"),
    (re.compile(r"\.opml$"), "text/x-opml; charset=utf-8"),
    (re.compile(r"\.xsl$"), "text/xsl; charset=utf-8"),
    (re.compile(r"\.html$"), "text/html; charset=utf-8"),
    (re.compile(r"\.txt$"), "text/plain; charset=utf-8"),
    (re.compile(r"\.eml$"), "message/rfc822"),
)


class PublishedFiles(StaticFiles):
    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        content_type = content_type_of(os.fspath(full_path).replace(os.sep, "/"))
        if content_type is not None:
            response.headers["content-type"] = content_type
        response.headers.setdefault("cache-control", "public, max-age=300")
        return response


def content_type_of(path: str) -> str | None:
    """The Content-Type of a published file by its path ('digests/feed.xml', 'rss-2.xml');
    None where StaticFiles' guess stands."""
    for pattern, content_type in _TYPES:
        if pattern.search(path):
            return content_type
    return None


class FeedFiles(PublishedFiles):
    """feeds/ (or digests/, with its one feed): each feed document as it is for a feed
    reader; for a browser that ranks HTML first (feed_page.py), the page `page` makes
    of it. Both answers say `Vary: Accept`, so that no cache gives one the other's."""

    def __init__(
        self, *, directory: Path, page: FeedPage, documents: re.Pattern[str] = DOCUMENT
    ) -> None:
        # html: /feeds/ is the page of every feed that publish writes (index.html), and
        # /digests/ the archive's.
        super().__init__(directory=directory, html=True, check_dir=False)
        self._page = page
        self._documents = documents

    async def get_response(self, path: str, scope: Scope) -> Response:
        wanted = Headers(scope=scope).get("accept")
        is_document = self._documents.search(path)
        if scope["method"] in ("GET", "HEAD") and is_document and prefers_html(wanted):
            page = await self._page_of(path, scope)
            if page is not None:
                page.headers["vary"] = _vary(page.headers.get("vary"))
                return page
        response = await super().get_response(path, scope)
        response.headers["vary"] = _vary(response.headers.get("vary"))
        return response

    async def _page_of(self, path: str, scope: Scope) -> Response | None:
        """The page of the document at `path`; None where there is none to make (no
        such file, a path no file can have): the file's own answer is given then."""
        try:
            full_path, found = await anyio.to_thread.run_sync(self.lookup_path, path)
            if found is None or not stat.S_ISREG(found.st_mode):
                return None
            content = await anyio.Path(full_path).read_bytes()
        except (OSError, ValueError):  # a name too long, a NUL byte, unreadable
            return None
        return await self._page(scope, path, content)


def _vary(current: str | None) -> str:
    return "Accept" if not current else f"{current}, Accept"
