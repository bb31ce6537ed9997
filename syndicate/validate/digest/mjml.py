"""Digest checks of MJML source: whether it compiles, as digests are compiled."""

from __future__ import annotations

import re

from mjml import mjml2html

from syndicate.validate.digest.common import Lines, Sink, decode
from syndicate.validate.report import FileReport

_LEADING = re.compile(r"\A(?:\s|<!--.*?-->)*", re.S)
_ROOT = re.compile(r"<mjml(?=[\s>/]|\Z)")
_FIRST_TAG = re.compile(r"<([A-Za-z?!][^\s>/]*)")
_POSITION = re.compile(r"at position (\d+):(\d+)")


def validate_mjml(content: bytes, path: str) -> FileReport:
    """MJML source: whether it compiles (with mjml-python, as digests are compiled).
    Template placeholders are not looked for: rendered MJML holds the slot tokens."""
    report = FileReport(path, "mjml")
    sink = Sink(report)
    text = decode(sink, content, None)
    lines = Lines(text)
    start = _LEADING.match(text)
    offset = start.end() if start else 0
    if not _ROOT.match(text, offset):
        tag = _FIRST_TAG.match(text, offset)
        what = f"the root is <{tag.group(1)[:40]}>" if tag else "no element"
        sink.add("mjml-error", f"not MJML: {what}, not <mjml>", *lines.at(offset))
    else:
        try:
            mjml2html(text)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # pyo3 raises a Rust panic as a BaseException
            said = str(exc) or type(exc).__name__
            position = _POSITION.search(said)
            line, column = (None, None)
            if position:  # a byte offset in the UTF-8 source
                before = text.encode("utf-8")[: int(position.group(1))]
                line, column = lines.at(len(before.decode("utf-8", errors="replace")))
            sink.add("mjml-error", f"the MJML does not compile: {said}", line, column)
    sink.finish()
    return report
