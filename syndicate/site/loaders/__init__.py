"""Load: every record file under a site's `articles/`, into `RawArticle` values.

A bad record is an error naming its file, line and field; the others still load.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Protocol

from syndicate._util.stamps import FileStamp, file_stamp
from syndicate._util.text import decode
from syndicate._util.workers import Workers
from syndicate.errors import Problem, RecordError
from syndicate.site.loaders.files import (
    RECORD_SUFFIXES,
    RecordFiles,
    find_record_files,
    relative_name,
)
from syndicate.site.loaders.jsonrecords import load_json, load_jsonl
from syndicate.site.loaders.markdown import load_markdown
from syndicate.site.loaders.scraped import ScrapeRules, load_scraped
from syndicate.site.records import RawArticle, Source

MAX_FILE_BYTES = 20 * 1024 * 1024

__all__ = [
    "RECORD_SUFFIXES",
    "FileRecords",
    "LoadResult",
    "RecordFiles",
    "RecordReuse",
    "ScrapeRules",
    "find_record_files",
    "load_articles",
    "relative_name",
]


@dataclass(frozen=True, slots=True)
class FileRecords:
    """What loading one file gave: its records, and its own errors and warnings."""

    records: tuple[RawArticle, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]


class RecordReuse(Protocol):
    """The records of files as an earlier load gave them, by the file's name and stamp
    (the record cache keeps them between runs)."""

    def get(self, name: str, stamp: FileStamp) -> FileRecords | None: ...

    def put(self, name: str, stamp: FileStamp, records: FileRecords) -> None: ...

    def save(self) -> None:
        """Keep what this load saw for the next one."""
        ...


@dataclass
class LoadResult:
    records: list[RawArticle] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # With a cache: where each record whose file has a stamp came from (file name,
    # stamp, place in the file), by the record's id(); a record is that place's.
    origins: dict[int, tuple[str, FileStamp, int]] = field(default_factory=dict)


def load_articles(
    articles_dir: Path,
    rules: ScrapeRules,
    on_file: Callable[[Path], None] | None = None,
    *,
    files: list[Path] | None = None,
    display_root: Path | None = None,
    cache: RecordReuse | None = None,
    found: RecordFiles | None = None,
    workers: Workers | None = None,
) -> LoadResult:
    """Load every record file under `articles_dir` (recursively), or just `files`.

    Records name their file relative to `display_root` (the site folder, by default
    the parent of `articles_dir`), so that messages read `articles/world/x.md`.
    A file whose stamp is in `cache` is not read again. `found`: the files under
    `articles_dir` when the caller has looked for them already (with the same
    `display_root`), with the stamps they had then. `workers`: processes to parse in
    (by default, this one).
    """
    result = LoadResult()
    shown_from = display_root or articles_dir.parent
    if files is not None:
        stamped = (file_stamp(path) if cache is not None else None for path in files)
        names = (relative_name(path, shown_from) for path in files)
        listed = list(zip(map(str, files), names, stamped, strict=True))
    else:
        found = found if found is not None else find_record_files(articles_dir, display_root)
        result.errors.extend(found.errors)
        result.warnings.extend(found.warnings)
        listed = list(zip(found.paths, found.names, found.stamps, strict=True))
    inside = os.path.join(articles_dir, "")

    def relative(text: str) -> str:
        if text.startswith(inside):
            return text[len(inside) :].replace(os.sep, "/")
        return relative_name(Path(text), articles_dir)

    known = [
        cache.get(name, stamp) if cache is not None and stamp is not None else None
        for _, name, stamp in listed
    ]
    # The files no cache holds, parsed in turn (in worker processes when there are
    # enough of them) and taken back in the order of the files.
    missing = [
        (text, name, relative(text))
        for (text, name, _), records in zip(listed, known, strict=True)
        if records is None
    ]
    parsed = _parsed(missing, rules, workers or Workers(1))
    for (text, name, stamp), loaded in zip(listed, known, strict=True):
        if loaded is None:
            loaded = next(parsed)
            if cache is not None and stamp is not None:
                cache.put(name, stamp, loaded)
        result.records.extend(loaded.records)
        if stamp is not None:
            for place, record in enumerate(loaded.records):
                result.origins[id(record)] = (name, stamp, place)
        result.errors.extend(loaded.errors)
        result.warnings.extend(loaded.warnings)
        if on_file is not None:
            on_file(Path(text))
    if cache is not None:
        cache.save()
    return result


# A record file to parse: its path, its name in messages, its path under articles/.
_ToParse = tuple[str, str, str]


def _parsed(files: list[_ToParse], rules: ScrapeRules, workers: Workers) -> Iterator[FileRecords]:
    """Each file's records, in the order of `files`."""
    for batch in workers.batches(partial(_load_batch, rules), files):
        yield from batch


def _load_batch(rules: ScrapeRules, files: list[_ToParse]) -> list[FileRecords]:
    """What a worker does: parse a batch of files."""
    return [_load_records(Path(text), name, relative, rules) for text, name, relative in files]


def _load_records(path: Path, name: str, relative: str, rules: ScrapeRules) -> FileRecords:
    """One file's records, with its own errors and warnings."""
    stem = relative.rsplit(".", 1)[0]
    folder = relative.split("/", 1)[0] if "/" in relative else ""
    warnings: list[Problem] = []
    try:
        records, errors = _load_file(path, name, stem, rules, warnings)
    except RecordError as exc:
        records, errors = [], [exc]
    except RecursionError:
        errors = [RecordError("nested too deeply to read", file=name)]
        records = []
    return FileRecords(
        tuple(replace(record, folder=folder) for record in records),
        tuple(error.problem for error in errors),
        tuple(warnings),
    )


def _load_file(
    path: Path, name: str, stem: str, rules: ScrapeRules, warnings: list[Problem]
) -> tuple[list[RawArticle], list[RecordError]]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise RecordError(f"file is {size} bytes; the limit is {MAX_FILE_BYTES}", file=name)
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read ({exc.strerror})", file=name) from None
    text, fallback = decode(data)
    if fallback:
        warnings.append(Problem("not UTF-8; read as Windows-1252", file=name))
    suffix = path.suffix.lower()
    if suffix == ".md":
        return [load_markdown(text, Source(name, 1), stem, warnings)], []
    if suffix == ".txt":
        return [load_scraped(text, Source(name, 1), stem, rules, warnings)], []
    if suffix == ".jsonl":
        return load_jsonl(text, name, stem, warnings)
    return load_json(text, name, stem, warnings)
