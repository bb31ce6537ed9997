"""What every stage means by a URL it may write: http(s) with a host, percent-encoded."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# Reserved characters and '%' stay as they are: only what a URI cannot hold is encoded
# (a Greek slug, a space), so encoding an encoded URL changes nothing.
_KEEP = ":/?#[]@!$&'()*+,;=%~"


def is_web_url(url: str | None) -> bool:
    """Whether `url` is an absolute http(s) URL with a host."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # a malformed IPv6 host, say
        return False
    return parts.scheme in ("http", "https") and bool(host)


_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def encode_url(url: str) -> str:
    """`url` as a URI: non-ASCII, spaces and a '%' that starts no escape ('50%-off')
    percent-encoded, everything else kept."""
    return quote(_STRAY_PERCENT.sub("%25", url), safe=_KEEP)
