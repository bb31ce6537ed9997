"""Keys: hashes of everything a value was made from, our code included, for caches
and for the feed files a republish need not build again."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
from functools import lru_cache
from pathlib import Path

from syndicate._version import __version__

_FORMAT = 3  # bump when what a keyed value holds changes shape


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """What made the cached values: our version and source files (an edited checkout
    has the same version), and the libraries whose output lands in them."""
    parts = [__version__, str(_FORMAT)]
    for name in ("feedgen", "lxml", "nh3", "markdown-it-py", "PyYAML"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            parts.append(f"{name}={importlib.metadata.version(name)}")
    package = Path(__file__).resolve().parent.parent  # all of syndicate/
    for source in sorted(package.rglob("*.py")):
        status = source.stat()
        parts.append(f"{source.relative_to(package)}:{status.st_size}:{status.st_mtime_ns}")
    return key_of(*parts)


def key_of(*parts: object) -> str:
    """A hash of values whose `repr` is stable from run to run (str, int, tuples)."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        hasher.update(repr(part).encode("utf-8", "surrogatepass"))
        hasher.update(b"\x00")
    return hasher.hexdigest()
