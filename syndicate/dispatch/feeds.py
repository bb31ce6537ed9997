"""Publishing built feeds: staged first, then moved into `feeds/` atomically.

A reader fetching a feed gets either the old file or the new one, never part of
one; a run that fails part-way puts back every file it had already replaced.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from syndicate.errors import PublishError
from syndicate.feeds import FeedFile


@dataclass
class StagedFeeds:
    folder: Path
    paths: list[str] = field(default_factory=list)  # relative, in build order
    feed_paths: list[str] = field(default_factory=list)  # the feeds among them


@dataclass
class PublishedFeeds:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def stage_feeds(files: Iterable[FeedFile], folder: Path) -> StagedFeeds:
    """Write every built file into `folder` (emptied first): what `syndicate build` leaves."""
    if folder.exists():
        shutil.rmtree(folder)
    staged = StagedFeeds(folder)
    for built in files:
        target = folder / _safe_relative(built.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(built.content)
        staged.paths.append(built.path)
        if built.is_feed:
            staged.feed_paths.append(built.path)
    return staged


def publish_staged(staged: StagedFeeds, feeds_dir: Path) -> PublishedFeeds:
    """Move the staged files whose bytes differ into `feeds_dir`, all or none."""
    result = PublishedFeeds()
    token = secrets.token_hex(6)
    pending: list[tuple[Path, Path]] = []  # (temporary file beside target, target)
    try:
        for relative in staged.paths:
            content = (staged.folder / relative).read_bytes()
            target = feeds_dir / _safe_relative(relative)
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
    return result


def _swap_in(pending: list[tuple[Path, Path]], token: str, feeds_dir: Path) -> None:
    """Rename each temporary file over its target; on any failure, undo every rename."""
    done: list[tuple[Path, Path | None]] = []  # (target, backup of the old file or None)
    try:
        for temporary, target in pending:
            backup = None
            if target.exists():
                backup = target.with_name(f".{target.name}.{token}.old")
                os.link(target, backup)
            done.append((target, backup))
            os.replace(temporary, target)
    except OSError as exc:
        for target, backup in reversed(done):
            try:
                if backup is not None:
                    os.replace(backup, target)
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


def _safe_relative(path: str) -> Path:
    """A built path as a relative path that cannot leave the folder it is joined to."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ValueError(f"not a safe relative path: {path!r}")
    return Path(*pure.parts)
