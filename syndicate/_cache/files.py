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
import os
import pickle
import threading
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
    package = Path(__file__).resolve().parent.parent  # all of syndicate/
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


_lock = threading.Lock()
_runs = 0  # cache_reads_frozen blocks under way
_frozen = False  # whether objects read from a cache are out of the collector's view
_host_froze = False  # the process had frozen objects of its own: then we freeze none


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Unpickling makes some 30 objects an article, none of them garbage: the cyclic
    collector's passes over them while they are made were a third of a cache read."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _freeze_for_run()
        if enabled:
            gc.enable()


def _freeze_for_run() -> None:
    global _frozen
    with _lock:
        if _runs and not _host_froze:
            gc.freeze()
            _frozen = True


@contextlib.contextmanager
def cache_reads_frozen() -> Iterator[None]:
    """A run (a build, a publish) in which what is read from a cache is frozen
    (gc.freeze) until its end. It lives for the run and holds no cycles, yet each
    later full collection walked all of it again: a quarter of a republish.

    Outside such a run nothing is frozen. At its end everything frozen since it began
    is given back, so that a process running many (a test suite, a script) collects
    their garbage as usual; a process that froze objects of its own is left alone."""
    global _runs, _frozen, _host_froze
    with _lock:
        if _runs == 0:
            _host_froze = gc.get_freeze_count() > 0
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0 and _frozen:
                gc.unfreeze()
                _frozen = False


class StoredCache:
    """A cache file's value, and the parts stored after it, each read and unpickled
    only when asked for, and only from the file as it was opened: one replaced or
    rewritten since is an exception, not a mix of two files. (The file is opened again
    for each part, not held open nor mapped: a map would crash the process on a file
    cut short under it, and Windows renames nothing over an open file.)"""

    def __init__(self, path: Path, stamp: FileStamp, value: object, spans: list[tuple[int, int]]):
        self.path = path
        self.value = value
        self._stamp = stamp
        self._spans = spans

    def part(self, number: int) -> object:
        """Part `number` (from 0); an exception if it cannot be read or unpickled."""
        data = self._bytes(number)
        with _collector_paused():
            return pickle.loads(data)

    def copy(self, number: int) -> Copied:
        """Part `number` as it is stored, to be written again as it is."""
        self._span(number)
        return Copied(self, number)

    def size(self, number: int) -> int:
        start, end = self._span(number)
        return end - start

    def copy_into(self, number: int, descriptor: int) -> None:
        """Write part `number` at `descriptor`'s place, in the kernel where it can."""
        start, end = self._span(number)
        with self._opened() as source:
            done = 0
            while done < end - start and hasattr(os, "copy_file_range"):
                try:
                    moved = os.copy_file_range(source, descriptor, end - start - done, start + done)
                except OSError:
                    break  # not between these files: by hand, from where it stopped
                if moved == 0:
                    raise OSError(f"{self.path} changed while it was read")
                done += moved
            if done < end - start:
                _write_all(descriptor, _read_at(source, start + done, end - start - done))
            self._check(source)

    def _bytes(self, number: int) -> bytes:
        start, end = self._span(number)
        with self._opened() as source:
            data = _read_at(source, start, end - start)
            if len(data) != end - start:
                raise OSError(f"{self.path} changed while it was read")
            self._check(source)
        return data

    def _span(self, number: int) -> tuple[int, int]:
        if number >= len(self._spans):
            raise LookupError(f"no part {number} in this cache file")
        return self._spans[number]

    @contextlib.contextmanager
    def _opened(self) -> Iterator[int]:
        source = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            self._check(source)
            yield source
        finally:
            os.close(source)

    def _check(self, source: int) -> None:
        if _exact_stamp(os.fstat(source)) != self._stamp:
            raise OSError(f"{self.path} is not the file that was opened")


def _exact_stamp(status: os.stat_result) -> FileStamp:
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


@dataclass(frozen=True)
class Copied:
    """A part already pickled, to be copied from the cache file it was read from."""

    source: StoredCache
    number: int


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
            status = os.fstat(file.fileno())
            if status.st_size != offset + sum(sizes):
                return None  # cut short: its parts would not unpickle
    except Exception:  # absent, truncated, foreign: a miss, not a failure
        return None
    spans = []
    for size in sizes:
        spans.append((offset, offset + size))
        offset += size
    return StoredCache(path, _exact_stamp(status), value, spans)


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
        chunks = [
            part if isinstance(part, Copied) else pickle.dumps(part, pickle.HIGHEST_PROTOCOL)
            for part in parts
        ]
        sizes = tuple(c.source.size(c.number) if isinstance(c, Copied) else len(c) for c in chunks)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(descriptor, pickle.dumps((key, value, sizes), pickle.HIGHEST_PROTOCOL))
            for chunk in chunks:
                if isinstance(chunk, Copied):
                    chunk.source.copy_into(chunk.number, descriptor)
                else:
                    _write_all(descriptor, chunk)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _read_at(descriptor: int, offset: int, size: int) -> bytes:
    """Up to `size` bytes from `offset` (os.pread is not on every system)."""
    os.lseek(descriptor, offset, os.SEEK_SET)
    pieces, left = [], size
    while left:
        piece = os.read(descriptor, left)
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
