"""Where reports are read from: message files, Maildirs, mbox files and standard input
(an MTA alias that pipes mail in), each message named as `syndicate bounces --json`
names its source: the path as given; a Maildir or mbox path, `:` and the message's key;
`-:N` for the N-th message on standard input."""

from __future__ import annotations

import mailbox
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

MAX_INPUT_BYTES = 64 * 1024 * 1024  # a message file or standard input read at the most
_MBOX_SEPARATOR = re.compile(rb"(?m)^From [^\n]*\n")


@dataclass(frozen=True)
class Incoming:
    """One message to read, by its source."""

    source: str
    read: Callable[[], bytes]


@dataclass(frozen=True)
class Unreadable:
    """A source that gives no message: a path that is not there, a folder that is no
    Maildir, a file too large."""

    source: str
    message: str


def messages_at(paths: list[str], stdin: BinaryIO | None = None) -> Iterator[Incoming | Unreadable]:
    """Every message at `paths`, in order; "-" is standard input."""
    for given in paths:
        if given == "-":
            yield from _stdin(stdin)
            continue
        path = Path(given)
        try:
            if path.is_dir():
                yield from _maildir(given, path)
            elif not path.exists():
                yield Unreadable(given, "no such file or folder")
            elif _is_mbox(path):
                yield from _mbox(given, path)
            elif path.stat().st_size > MAX_INPUT_BYTES:
                yield Unreadable(given, f"{path.stat().st_size:,} bytes: too large for a report")
            else:
                yield Incoming(given, path.read_bytes)
        except OSError as exc:
            yield Unreadable(given, f"cannot read ({exc.strerror or exc})")


def _stdin(stdin: BinaryIO | None) -> Iterator[Incoming | Unreadable]:
    if stdin is None:
        yield Unreadable("-", "no standard input")
        return
    data = stdin.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        yield Unreadable("-", f"more than {MAX_INPUT_BYTES:,} bytes on standard input")
        return
    if data.startswith(b"From "):  # an mbox stream: its messages one by one
        pieces = [p for p in _MBOX_SEPARATOR.split(data) if p.strip()]
    else:
        pieces = [data] if data.strip() else []
    for number, piece in enumerate(pieces, start=1):
        yield Incoming(f"-:{number}", partial(bytes, piece))


def _maildir(given: str, path: Path) -> Iterator[Incoming | Unreadable]:
    if not (path / "cur").is_dir() or not (path / "new").is_dir():
        yield Unreadable(given, "a folder that is no Maildir (no cur/ and new/)")
        return
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        yield Incoming(f"{given}:{key}", partial(box.get_bytes, key))


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(5) == b"From "


def _mbox(given: str, path: Path) -> Iterator[Incoming | Unreadable]:
    """The messages of an mbox file; a file of one message (a saved message that starts
    with its "From " line) is named as the file."""
    box = mailbox.mbox(path, factory=None, create=False)
    try:
        keys = list(box.iterkeys())
        for key in keys:
            source = given if len(keys) == 1 else f"{given}:{key}"
            yield Incoming(source, partial(box.get_bytes, key))
    finally:
        box.close()
