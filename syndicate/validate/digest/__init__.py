"""Digest validation (SPEC section 5): an edition's HTML, text and message, and MJML.

The checks live in html.py (a digest's HTML), text.py (its text) and message.py (a
message, MJML source); this module is their face, and checks an edition folder as
digests/publish.py leaves it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from syndicate.validate.digest.html import validate_digest_html
from syndicate.validate.digest.message import validate_digest_message
from syndicate.validate.digest.mjml import validate_mjml
from syndicate.validate.digest.text import validate_digest_text
from syndicate.validate.report import FileReport

__all__ = [
    "EDITION_FILES",
    "validate_digest_folder",
    "validate_digest_html",
    "validate_digest_message",
    "validate_digest_text",
    "validate_mjml",
]


def _web_html(content: bytes, path: str) -> FileReport:
    return validate_digest_html(content, path, web_copy=True)


def _web_text(content: bytes, path: str) -> FileReport:
    return validate_digest_text(content, path, web_copy=True)


# What digests/publish.py writes into an edition's folder, with the check of each.
EDITION_FILES: tuple[tuple[str, str, Callable[[bytes, str], FileReport]], ...] = (
    ("index.html", "digest-html", _web_html),
    ("digest.txt", "digest-text", _web_text),
    ("sample.eml", "digest-message", validate_digest_message),
)


def validate_digest_folder(folder: Path, display: str) -> list[FileReport]:
    """An edition folder (one holding sample.eml): its web copy (index.html,
    digest.txt), its sample message, and any MJML source in it.

    `display` is the folder as the user named it; each report's path is
    display/name. A file of the three that is missing gets a report of its own with
    a `missing-element` finding. A file that cannot be read raises OSError.
    """
    prefix = display if display.endswith("/") else display + "/"
    reports = []
    for name, kind, check in EDITION_FILES:
        file = folder / name
        if file.is_file():
            reports.append(check(file.read_bytes(), prefix + name))
        else:
            missing = FileReport(prefix + name, kind)
            missing.add("missing-element", f"the edition has no {name}")
            reports.append(missing)
    for source in sorted(folder.glob("*.mjml")):
        if source.is_file():
            reports.append(validate_mjml(source.read_bytes(), prefix + source.name))
    return reports
