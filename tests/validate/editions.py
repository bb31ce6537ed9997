"""What the digest checks' tests share: a reader, the real edition, mutations of a message."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from syndicate.config import LoadedConfig
from syndicate.digests import (
    DigestEdition,
    EditionHeaders,
    Recipient,
    RenderedVariant,
    build_message,
)
from syndicate.digests.messages import html_for
from syndicate.validate.report import FileReport

READER = Recipient(
    email="hana.lowry@example.com",
    name="Hana Lowry",
    unsubscribe_url="https://news.example.com/unsubscribe/hana.abc123?list=digest&v=1",
    unsubscribe_mailto="mailto:unsubscribe@news.example.com?subject=unsubscribe",
)


@dataclass(frozen=True)
class Real:
    config: LoadedConfig
    sections: tuple[str, ...]
    edition: DigestEdition
    headers: EditionHeaders
    variant: RenderedVariant  # holding the slot tokens
    folder: Path  # as write_edition leaves it: index.html, digest.txt, sample.eml


def message(
    real: Real,
    *,
    html: str | None = None,
    text: str | None = None,
    reader: Recipient = READER,
) -> bytes:
    """A reader's message, built by build_message from the variant or from a mutation
    of its HTML or text (the HTML must keep each slot token once)."""
    variant = replace(
        real.variant,
        html=real.variant.html if html is None else html,
        text=real.variant.text if text is None else text,
    )
    return build_message(variant, real.headers, reader)


def page(real: Real) -> str:
    """The HTML part as READER gets it."""
    return html_for(real.variant, READER)


def web_page(real: Real) -> bytes:
    return (real.folder / "index.html").read_bytes()


def codes(report: FileReport) -> list[str]:
    return [finding.code for finding in report.findings]


def findings(report: FileReport, code: str) -> list[tuple[str, int | None]]:
    return [(f.message, f.line) for f in report.findings if f.code == code]


def drop_header(raw: bytes, name: str) -> bytes:
    """`raw` without the header field `name` (its folded lines included)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    kept, dropping = [], False
    for line in head.split(b"\r\n"):
        if line[:1] not in (b" ", b"\t"):
            dropping = line.lower().startswith(name.lower().encode() + b":")
        if not dropping:
            kept.append(line)
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


def set_header(raw: bytes, name: str, value: bytes) -> bytes:
    return name.encode() + b": " + value + b"\r\n" + drop_header(raw, name)
