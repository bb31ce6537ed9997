"""Finding record files under `articles/`: sorted, inside the site, nothing skipped silently."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from syndicate._util.stamps import FileStamp, stamp_of
from syndicate.errors import Problem, SiteError

RECORD_SUFFIXES = (".md", ".json", ".jsonl", ".txt")


@dataclass
class RecordFiles:
    paths: list[str] = field(default_factory=list)  # as os.scandir gives them
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # By each file: its name as records give it (relative to the site folder) and its
    # stamp when found (None: changed just now), so that a cache need not stat it again.
    names: list[str] = field(default_factory=list)
    stamps: list[FileStamp | None] = field(default_factory=list)

    @cached_property
    def files(self) -> list[Path]:
        # Made when asked: a republish that finds every stamp unchanged never does.
        return [Path(path) for path in self.paths]


def find_record_files(articles_dir: Path, site_root: Path | None = None) -> RecordFiles:
    """Record files under `articles_dir`, sorted by path; hidden ones are skipped.

    Symbolic links are followed only while they stay inside `site_root` (by default
    the parent of `articles_dir`): a link to a file elsewhere is an error, since
    publishing it could leak it; a broken link or an unreadable folder is a warning.
    """
    if not articles_dir.is_dir():
        raise SiteError(f"no articles folder at {articles_dir}", file=articles_dir)
    root = (site_root or articles_dir.parent).resolve()
    shown_from = site_root or articles_dir.parent
    found = RecordFiles()
    visited: set[Path] = set()
    pending = [articles_dir]
    while pending:
        folder = pending.pop()
        real = folder.resolve()
        if real in visited:
            continue
        visited.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            found.warnings.append(_problem(folder, shown_from, f"folder skipped: {exc.strerror}"))
            continue
        for entry in entries:
            if not entry.name.startswith("."):
                _visit(folder, entry, root, shown_from, found, pending)
    # Every path found is the folder's own string plus the rest: sorting by that rest
    # is sorting by the relative path, without a pathlib call per file.
    start = len(os.path.join(articles_dir, ""))
    order = sorted(
        range(len(found.paths)), key=lambda n: found.paths[n][start:].replace(os.sep, "/")
    )
    found.paths = [found.paths[n] for n in order]
    found.stamps = [found.stamps[n] for n in order]
    shown = os.path.join(shown_from, "")
    found.names = [
        path[len(shown) :].replace(os.sep, "/")
        if path.startswith(shown)
        else relative_name(Path(path), shown_from)
        for path in found.paths
    ]
    return found


def _visit(
    folder: Path,
    entry: os.DirEntry[str],
    root: Path,
    shown_from: Path,
    found: RecordFiles,
    pending: list[Path],
) -> None:
    name = entry.name
    is_record = name[name.rfind(".") :].lower() in RECORD_SUFFIXES if "." in name else False
    if entry.is_symlink():
        path = folder / name
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            if is_record:
                found.warnings.append(_problem(path, shown_from, "broken symbolic link, skipped"))
            return
        if not target.is_relative_to(root):
            if is_record or target.is_dir():
                found.errors.append(
                    _problem(path, shown_from, "links outside the site folder; not read")
                )
            return
    try:
        is_dir = entry.is_dir()
    except OSError:
        is_dir = False
    if is_dir:
        pending.append(folder / name)
        return
    if not is_record:
        return
    try:
        os.fsencode(entry.path).decode("utf-8")
    except UnicodeDecodeError:
        found.errors.append(
            _problem(folder / name, shown_from, "file name is not UTF-8; rename it")
        )
        return
    try:
        stamp = stamp_of(entry.stat())
    except OSError:
        stamp = None
    found.paths.append(entry.path)
    found.stamps.append(stamp)


def _problem(path: Path, shown_from: Path, message: str) -> Problem:
    try:
        name = path.relative_to(shown_from).as_posix()
    except ValueError:
        name = str(path)
    return Problem(message, file=os.fsencode(name).decode("utf-8", "replace"))


def relative_name(path: Path, root: Path) -> str:
    """`path.relative_to(root).as_posix()` for a path under `root`, at a tenth of the cost."""
    text, prefix = str(path), os.path.join(root, "")
    if not text.startswith(prefix):
        return path.relative_to(root).as_posix()
    return text[len(prefix) :].replace(os.sep, "/")
