"""Cache files: a value under a key, then parts that are read only when asked for.

Written whole or not at all (beside, then renamed over); read from the file as it was
opened, never a mix of two; any failure to read is a miss.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from syndicate._cache.collector import collector_paused
from syndicate._util.stamps import FileStamp, exact_stamp


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
        with collector_paused():
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
        if exact_stamp(os.fstat(source)) != self._stamp:
            raise OSError(f"{self.path} is not the file that was opened")


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
        with path.open("rb") as file, collector_paused():
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
    return StoredCache(path, exact_stamp(status), value, spans)


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
