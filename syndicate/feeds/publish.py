"""Publishing built feeds: staged first, then moved into `feeds/` atomically.

A reader fetching a feed gets either the old file or the new one, never part of
one; a run that fails part-way puts back every file it had already replaced. A run
that is killed leaves each file whole, old or new, and its temporary files for the
next run to clear.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from syndicate._util.workers import Workers
from syndicate.errors import PublishError
from syndicate.feeds.build import PageBuild, PlannedFeed
from syndicate.feeds.model import FeedFile, FeedScope

# Feed entries built in about a millisecond (the workers' unit of work).
_ENTRIES_A_UNIT = 6
# The names of the temporary files beside each target: `.<name>.<token>.tmp` or `.old`.
_LEFTOVER = re.compile(r"\..+\.[0-9a-f]{12}\.(?:tmp|old)")


@dataclass
class StagedFeeds:
    folder: Path
    paths: list[str] = field(default_factory=list)  # relative, in build order
    feed_paths: list[str] = field(default_factory=list)  # the feeds among them
    # Files not built, since the published one has their key: they are in feeds/ as
    # they are, and not in `folder`.
    reused: set[str] = field(default_factory=set)
    keys: dict[str, str] = field(default_factory=dict)  # path -> key, of keyed files
    whole: str | None = None  # the key of the site the feed documents were planned from

    def built(self, path: str) -> bool:
        return path not in self.reused

    def keep_published(self, keys: dict[str, str]) -> None:
        """Add feed documents left as they are published (by path, with their keys)."""
        for relative, key in keys.items():
            self.paths.append(relative)
            self.feed_paths.append(relative)
            self.reused.add(relative)
            self.keys[relative] = key


@dataclass
class PublishedFeeds:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # published before, no longer built


def stage_feeds(
    files: Iterable[FeedFile | PlannedFeed],
    folder: Path,
    reusable: Callable[[str, str], bool] | None = None,
    workers: Workers | None = None,
) -> StagedFeeds:
    """Write every built file into `folder` (emptied first): what `syndicate build` leaves.

    A planned file for which `reusable(path, key)` holds is not built nor written:
    the published file is already those bytes. With `workers` of more than one job,
    the feed documents are built once the whole plan is read (the plan holds a
    reference to each page's entries meanwhile, not their bytes), by the workers when
    they are worth it (Workers.worth_it), else here; the paths keep the plan's order."""
    if folder.exists():
        shutil.rmtree(folder)
    staged = StagedFeeds(folder)
    pages: list[PageBuild] = []  # feed documents for the workers
    parallel = workers is not None and workers.jobs > 1
    for item in files:
        staged.paths.append(item.path)
        if item.is_feed:
            staged.feed_paths.append(item.path)
        if isinstance(item, PlannedFeed):
            if item.key:
                staged.keys[item.path] = item.key
                if reusable is not None and reusable(item.path, item.key):
                    staged.reused.add(item.path)
                    continue
            if parallel and isinstance(item.build, PageBuild):
                pages.append(item.build)
                continue
            item = item.build()
        _write_into(folder, item)
    if workers is not None and pages:
        _build_pages(pages, folder, workers)
    return staged


def _build_pages(pages: list[PageBuild], folder: Path, workers: Workers) -> None:
    """Build and write `pages` in batches, in the order of their scope and number: the
    same page in every format mostly falls in one batch, and their entries (the same
    articles) are then sent to a worker once, not thrice."""
    pages.sort(key=lambda build: (build.page.scope.key, build.page.number))
    scopes: dict[str, FeedScope] = {}
    portable = [build.portable(scopes) for build in pages]
    units = sum(len(build.page.entries) for build in pages) // _ENTRIES_A_UNIT
    for _ in workers.batches(partial(_write_pages, str(folder)), portable, units=units):
        pass


def _write_pages(folder: str, pages: list[PageBuild]) -> None:
    """What a worker does: build each page and write it into the staging folder."""
    for build in pages:
        _write_into(Path(folder), build())


def _write_into(folder: Path, built: FeedFile) -> None:
    target = folder / _safe_relative(built.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(built.content)


def publish_staged(
    staged: StagedFeeds, feeds_dir: Path, manifest: Path | None = None
) -> PublishedFeeds:
    """Move the staged files whose bytes differ into `feeds_dir`, all or none.

    With a `manifest` (the list of files the last publish left), files that were
    published before and are no longer built (a section gone, fewer archive pages)
    are removed afterwards; files in `feeds_dir` that syndicate never wrote stay.
    """
    result = PublishedFeeds()
    token = secrets.token_hex(6)
    pending: list[tuple[Path, Path]] = []  # (temporary file beside target, target)
    # Archive pages first: a feed's prev-archive link never points at a page not there yet.
    ordered = sorted(staged.paths, key=lambda path: not path.startswith("archive/"))
    # Files reused as published are not touched (their paths were checked then).
    result.unchanged = [relative for relative in ordered if not staged.built(relative)]
    safe = [(r, _safe_relative(r)) for r in ordered if staged.built(r)]
    try:
        _remove_leftovers(feeds_dir)
        for relative, path in safe:
            content = (staged.folder / path).read_bytes()
            target = feeds_dir / path
            if target.is_file() and target.read_bytes() == content:
                result.unchanged.append(relative)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{token}.tmp")
            pending.append((temporary, target))
            _write_synced(temporary, content)
            result.written.append(relative)
    except OSError as exc:
        _remove(temporary for temporary, _ in pending)
        raise PublishError(
            f"cannot write the new feeds ({exc.strerror or exc}); nothing changed",
            file=getattr(exc, "filename", None) or feeds_dir,
        ) from None
    _swap_in(pending, token, feeds_dir)
    if manifest is not None:
        result.removed = _remove_stale(feeds_dir, manifest, staged.paths)
    return result


def _remove_stale(feeds_dir: Path, manifest: Path, current: list[str]) -> list[str]:
    try:
        before = manifest.read_text("utf-8").splitlines()
    except FileNotFoundError:
        before = []
    stale = sorted(set(before) - set(current))
    for relative in stale:
        try:
            path = feeds_dir / _safe_relative(relative)
        except ValueError:
            continue  # a hand-edited manifest must not reach outside feeds/
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
            parent = path.parent
            while parent != feeds_dir and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    manifest.parent.mkdir(parents=True, exist_ok=True)
    temporary = manifest.with_name(f".{manifest.name}.tmp")
    _write_synced(temporary, "".join(f"{path}\n" for path in current).encode("utf-8"))
    os.replace(temporary, manifest)
    return stale


def _swap_in(pending: list[tuple[Path, Path]], token: str, feeds_dir: Path) -> None:
    """Rename each temporary file over its target; on any failure, undo every rename."""
    done: list[tuple[Path, Path | None]] = []  # (target, backup of the old file or None)
    try:
        for temporary, target in pending:
            backup = None
            if target.exists():
                backup = target.with_name(f".{target.name}.{token}.old")
                _keep_copy(target, backup)
            done.append((target, backup))
            os.replace(temporary, target)
    except OSError as exc:
        for target, backup in reversed(done):
            try:
                if backup is not None:
                    os.replace(backup, target)
                    # Where the target was never replaced, backup and target are one
                    # file, and rename() between two links of one file does nothing.
                    backup.unlink(missing_ok=True)
                else:
                    target.unlink(missing_ok=True)
            except OSError:
                pass  # best effort; the error below is what the user needs
        _remove(temporary for temporary, _ in pending)
        raise PublishError(
            f"cannot move the new feeds in ({exc.strerror or exc}); "
            "the published feeds were put back",
            file=feeds_dir,
        ) from None
    _remove(backup for _, backup in done if backup is not None)
    for folder in {target.parent for _, target in pending}:
        _sync_folder(folder)


def _keep_copy(target: Path, backup: Path) -> None:
    """A second name for the old file (a hard link), or a copy where links are refused."""
    try:
        os.link(target, backup)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        shutil.copy2(target, backup)


def _write_synced(path: Path, content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the renames are still atomic
    finally:
        os.close(descriptor)


def _remove(paths: Iterable[Path | None]) -> None:
    for path in paths:
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def _remove_leftovers(feeds_dir: Path) -> None:
    """Delete the temporary files that a run killed part-way left beside the feeds."""
    _remove(
        Path(folder, name)
        for folder, _, names in os.walk(feeds_dir)
        for name in names
        if name.startswith(".") and _LEFTOVER.fullmatch(name)
    )


def _safe_relative(path: str) -> Path:
    """A built path as a relative path that cannot leave the folder it is joined to."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ValueError(f"not a safe relative path: {path!r}")
    return Path(*pure.parts)
