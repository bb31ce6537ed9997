"""WebSub: tell each configured hub which feeds changed (hub.mode=publish).

A hub that fails gets a warning; it never fails the publish.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlencode

from syndicate.errors import Problem

TIMEOUT_SECONDS = 10


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect of a POST with a GET: the hub would never hear."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def ping_hubs(hubs: Sequence[str], feed_urls: Sequence[str], user_agent: str) -> list[Problem]:
    """POST one publish notification per hub and feed; the problems, as warnings."""
    problems: list[Problem] = []
    for hub in hubs:
        for url in feed_urls:
            body = urlencode({"hub.mode": "publish", "hub.url": url}).encode("ascii")
            request = urllib.request.Request(
                hub,
                data=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "User-Agent": user_agent,
                },
                method="POST",
            )
            try:
                with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
                    response.read(1024)
            except urllib.error.HTTPError as exc:
                problems.append(Problem(f"hub answered {exc.code} for {url}", file=hub))
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                problems.append(
                    Problem(
                        f"hub unreachable ({reason}); not told of {len(feed_urls)} feeds", file=hub
                    )
                )
                break  # a hub that cannot be reached would only time out again
    return problems
