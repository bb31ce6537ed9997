"""Reading a TOML file, and pointing at the line of a key for error messages."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import ValidationError


def read_toml(path: Path, error: Callable[..., Exception]) -> tuple[str, dict[str, object]]:
    """The text and the data of a TOML file; ({}, "") where it does not exist."""
    if not path.exists():
        return "", {}
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 ({exc.reason})", file=path) from None
    except OSError as exc:
        raise error(f"cannot read ({exc.strerror})", file=path) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        line = int(match.group(1)) if match else None
        raise error(f"invalid TOML: {message}", file=path, line=line) from None


def describe_first_error(exc: ValidationError) -> tuple[tuple[str, ...], str]:
    """The location and a readable message of a validation error's first problem."""
    first = exc.errors()[0]
    loc = tuple(str(part) for part in first["loc"])
    return loc, _message(first)


def _message(error: Mapping[str, object]) -> str:
    kind = str(error.get("type", ""))
    if kind == "extra_forbidden":
        return "unknown key"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if "input" in error and kind.endswith("_type"):
        message += f" (got {type(error['input']).__name__} {error['input']!r})"
    return message


_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.\-\s"']+?)\s*=""")


def key_line(text: str, loc: tuple[str, ...]) -> int | None:
    """Best-effort line of `loc` (table, key, ...) in the TOML text, for error messages.

    Knows `[table]` headers (with comments), `key = ...` lines and dotted keys
    (`table.key = ...`); falls back to the table's header, else None.
    """
    if not text or not loc:
        return None
    wanted = [part for part in loc if not part.isdigit()]
    best: int | None = None
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _dotted(header.group(1))
            if table == wanted[: len(table)] and best is None and len(table) == len(wanted):
                best = number
            continue
        key = _KEY.match(line)
        if (
            key
            and len(table) < len(wanted)
            and (table + _dotted(key.group(1)))[: len(wanted)] == wanted
        ):
            return number
        if key and table + _dotted(key.group(1)) == wanted[:-1] and best is None:
            best = number  # an inline table holding the key
    if best is None and len(wanted) > 1:
        return key_line(text, tuple(wanted[:-1]))
    return best


def _dotted(name: str) -> list[str]:
    return [part.strip().strip("\"'") for part in name.split(".")]
