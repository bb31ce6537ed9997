"""Published files over HTTP: feeds with their own content types, the digest archive.

Starlette's StaticFiles gives ETag, Last-Modified and 304 on conditional requests,
refuses paths that leave the folder (symlinks too), and lists no folder.
"""

from __future__ import annotations

import os
import re

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# By name, as the feeds stage writes them: rss.xml, atom-3.xml, feed.json, feed-2.json.
_TYPES = (
    (re.compile(r"(^|/)rss(-\d+)?\.xml$"), "application/rss+xml; charset=utf-8"),
    (re.compile(r"(^|/)atom(-\d+)?\.xml$"), "application/atom+xml; charset=utf-8"),
    (re.compile(r"(^|/)(feed|json-\d+)\.json$"), "application/feed+json; charset=utf-8"),
    (re.compile(r"(^|/)digests/feed\.xml$"), "application/atom+xml; charset=utf-8"),
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
        name = os.fspath(full_path).replace(os.sep, "/")
        for pattern, media_type in _TYPES:
            if pattern.search(name):
                response.headers["content-type"] = media_type
                break
        response.headers.setdefault("cache-control", "public, max-age=300")
        return response
