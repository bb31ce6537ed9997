"""Caches in `.syndicate/cache/`: what a republish need not do again.

A cache is only ever a hint. A missing, stale, corrupt or foreign one costs time,
never a wrong output: each value is stored with a key made of everything it was
made from (file sizes and times, settings, the state it read, and the code that
made it), and is used only when that key matches again.

The files are pickles. They are read only from the site's own `.syndicate/`
folder, written by syndicate with mode 0600, beside the state store and the
signing key, which anyone able to write there controls already.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.metadata
import mmap
import os
import pickle
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import TypeVar

from syndicate import __version__

T = TypeVar("T")
CACHE_FOLDER = "cache"  # under .syndicate/
_FORMAT = 3  # bump when what a cache file holds changes shape

# A file changed within this many seconds of being read may change again within the
# same timestamp tick (coarse file systems keep 1-2 s): its stamp proves nothing yet.
RACY_SECONDS = 2.0

# (size, mtime_ns, ctime_ns, inode): any write to a file changes one of them.
FileStamp = tuple[int, int, int, int]


def cache_folder(state_folder: Path) -> Path:
    return state_folder / CACHE_FOLDER


def file_stamp(path: Path) -> FileStamp | None:
    """The stamp of a file, or None when it cannot be trusted as a cache key yet."""
    try:
        return stamp_of(os.stat(path))
    except OSError:
        return None


def stamp_of(status: os.stat_result) -> FileStamp | None:
    if time.time_ns() - status.st_mtime_ns < RACY_SECONDS * 1e9:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """What made the cached values: our version and source files (an edited checkout
    has the same version), and the libraries whose output lands in them."""
    parts = [__version__, str(_FORMAT)]
    for name in ("feedgen", "lxml", "nh3", "markdown-it-py", "PyYAML"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            parts.append(f"{name}={importlib.metadata.version(name)}")
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        status = source.stat()
        parts.append(f"{source.relative_to(package)}:{status.st_size}:{status.st_mtime_ns}")
    return key_of(*parts)


def pickled_by_fields(cls: type[T]) -> type[T]:
    """A frozen, slotted dataclass that pickles as a call with its field values.

    The dataclass default for slots looks its fields up again for every object,
    which made reading a 10k-article cache cost more than parsing some files."""
    getter = attrgetter(*(item.name for item in fields(cls)))  # type: ignore[arg-type]

    def __reduce__(self: T) -> tuple[type[T], tuple[object, ...]]:
        values = getter(self)
        return cls, values if isinstance(values, tuple) else (values,)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


def key_of(*parts: object) -> str:
    """A digest of values whose `repr` is stable from run to run (str, int, tuples)."""
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        hasher.update(repr(part).encode("utf-8", "surrogatepass"))
        hasher.update(b"\x00")
    return hasher.hexdigest()


_frozen = False  # whether objects read from a cache are out of the collector's view


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Unpickling makes some 30 objects an article, none of them garbage: the cyclic
    collector's passes over them while they are made were a third of a cache read.

    What was read is then frozen (gc.freeze): it lives for the run and holds no
    cycles, yet each later full collection walked all of it again, a quarter of a
    republish. `thawed_after` gives it back at the end of the run."""
    global _frozen
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        _frozen = True
        if enabled:
            gc.enable()


@contextlib.contextmanager
def thawed_after() -> Iterator[None]:
    """A run whose cache reads are given back to the collector at its end, so that a
    process running many (a test suite, a script) collects their garbage as usual."""
    global _frozen
    try:
        yield
    finally:
        if _frozen:
            gc.unfreeze()
            _frozen = False


class StoredCache:
    """A cache file's value, and the parts stored after it, each unpickled only when
    asked for: from the file as it was opened (a cache written since, by a rename
    over it, does not mix in)."""

    def __init__(self, value: object, view: mmap.mmap | None, spans: list[tuple[int, int]]):
        self.value = value
        self._view = view
        self._spans = spans

    def part(self, number: int) -> object:
        """Part `number` (from 0); an exception if it does not unpickle."""
        with _collector_paused():
            return pickle.loads(self._bytes(number))

    def copy(self, number: int) -> Copied:
        """Part `number` as it is stored, to be written again as it is."""
        return Copied(self._bytes(number))

    def _bytes(self, number: int) -> memoryview:
        if self._view is None or number >= len(self._spans):
            raise LookupError(f"no part {number} in this cache file")
        start, end = self._spans[number]
        return memoryview(self._view)[start:end]


@dataclass(frozen=True)
class Copied:
    """A part already pickled, taken from a cache file read before."""

    data: memoryview


# A large table by name (the records of each file, the articles of a site) is kept in
# this many parts, so that a run that changed a few of its rows pickles the parts that
# hold them and copies the others' bytes from the file it read.
SHARDS = 16


def shard_of(name: str) -> int:
    """The part a row is kept in: the same from run to run."""
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) % SHARDS


def read_shards(stored: StoredCache, first: int) -> dict[str, object]:
    """The table kept in parts `first` to `first + SHARDS - 1`; an exception if damaged."""
    table: dict[str, object] = {}
    for number in range(first, first + SHARDS):
        shard = stored.part(number)
        if not isinstance(shard, dict):
            raise TypeError(f"part {number} is not a table")
        table.update(shard)
    return table


def shard_parts(
    table: Mapping[str, object], read: Mapping[str, object], stored: StoredCache | None, first: int
) -> list[object]:
    """The SHARDS parts that keep `table`: where a part's rows are those `read` from parts
    `first`... of `stored`, the very same objects, its stored bytes are copied."""
    shards: list[dict[str, object]] = [{} for _ in range(SHARDS)]
    for name, row in table.items():
        shards[shard_of(name)][name] = row
    before: list[dict[str, object]] = [{} for _ in range(SHARDS)]
    for name, row in read.items():
        before[shard_of(name)][name] = row
    return [
        stored.copy(first + number)
        if stored is not None and _same_rows(shard, before[number])
        else shard
        for number, shard in enumerate(shards)
    ]


def _same_rows(rows: Mapping[str, object], before: Mapping[str, object]) -> bool:
    return len(rows) == len(before) and all(
        _same(row, before.get(name, _MISSING)) for name, row in rows.items()
    )


_MISSING = object()


def _same(row: object, before: object) -> bool:
    """The very same object, or tuples of the very same objects (a row made again of
    the same parts): equal bytes when pickled, without comparing or pickling."""
    if row is before:
        return True
    if type(row) is not tuple or type(before) is not tuple or len(row) != len(before):
        return False
    return all(a is b for a, b in zip(row, before, strict=True))


def open_cache(path: Path, key: str | None = None) -> StoredCache | None:
    """The cache at `path`, if stored under `key` (any key with None); None if absent,
    unreadable, truncated or stale. Only its value is unpickled here."""
    try:
        with path.open("rb") as file, _collector_paused():
            stored_key, value, sizes = pickle.load(file)
            if key is not None and stored_key != key:
                return None
            offset = file.tell()
            if os.fstat(file.fileno()).st_size != offset + sum(sizes):
                return None  # cut short: its parts would not unpickle
            view = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if sizes else None
    except Exception:  # absent, truncated, foreign: a miss, not a failure
        return None
    spans = []
    for size in sizes:
        spans.append((offset, offset + size))
        offset += size
    return StoredCache(value, view, spans)


def read_cache(path: Path, key: str) -> object | None:
    """The value stored at `path` under `key`; None if absent, unreadable or stale."""
    stored = open_cache(path, key)
    return None if stored is None else stored.value


def write_cache(path: Path, key: str, value: object, *parts: object) -> None:
    """Store `value` under `key`, with `parts` after it that open_cache reads only when
    asked (a Copied part is written as it was read), whole or not at all; a failure to
    write is ignored: the next run only does more work."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pickled = [
            part.data if isinstance(part, Copied) else pickle.dumps(part, pickle.HIGHEST_PROTOCOL)
            for part in parts
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            sizes = tuple(len(chunk) for chunk in pickled)
            pickle.dump((key, value, sizes), file, protocol=pickle.HIGHEST_PROTOCOL)
            for chunk in pickled:
                file.write(chunk)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
