"""The records of each file as the last run loaded them, by the file's stamp.

Parsing front matter and Markdown is most of a load; a republish where a few files
changed parses those few.
"""

from __future__ import annotations

from pathlib import Path

from syndicate._cache.files import StoredCache, open_cache, read_shards, shard_parts, write_cache
from syndicate._util.keys import code_stamp, key_of
from syndicate._util.stamps import FileStamp
from syndicate.site.loaders import FileRecords


class RecordCache:
    """Loaded records by file name and stamp (the loaders' RecordReuse), kept in one
    file between runs, in SHARDS parts by file name: a run that changed a few files
    pickles the parts that hold them again, and copies the others.

    `settings` is whatever else shapes what a loader makes of a file (the
    boilerplate rules of scraped pages): other settings, another cache.
    """

    def __init__(self, path: Path, settings: str) -> None:
        self.path = path
        self.key = key_of(code_stamp(), settings)
        self._file: StoredCache | None = None
        self._stored: dict[str, object] | None = None
        self._seen: dict[str, tuple[FileStamp, FileRecords]] = {}
        self._changed = False
        self.hits = 0

    def get(self, name: str, stamp: FileStamp) -> FileRecords | None:
        if self._stored is None:
            self._read()
        found = self._stored.get(name) if self._stored is not None else None
        if not isinstance(found, tuple) or len(found) != 2 or found[0] != stamp:
            return None
        if not isinstance(found[1], FileRecords):
            return None
        self._seen[name] = found
        self.hits += 1
        return found[1]

    def _read(self) -> None:
        self._file = open_cache(self.path, self.key)
        try:
            self._stored = read_shards(self._file, 0) if self._file is not None else {}
        except Exception:  # damaged: every file is read again
            self._file, self._stored = None, {}

    def put(self, name: str, stamp: FileStamp, records: FileRecords) -> None:
        self._seen[name] = (stamp, records)
        self._changed = True

    def save(self) -> None:
        """Keep the files seen in this run (those gone are dropped), if anything changed."""
        stored = self._stored or {}
        if self._changed or len(self._seen) != len(stored):
            shards = shard_parts(self._seen, stored, self._file, 0)
            write_cache(self.path, self.key, None, *shards)
