"""The cache files: a hint that is used only when its key matches, never a failure."""

from __future__ import annotations

import errno
import gc
import os
import pickle
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate._cache.collector import cache_reads_frozen
from syndicate._cache.files import (
    SHARDS,
    Copied,
    open_cache,
    read_cache,
    read_shards,
    shard_parts,
    write_cache,
)
from syndicate._util.keys import key_of
from syndicate._util.stamps import file_stamp
from syndicate.errors import Problem
from syndicate.site.records import RawArticle, RelatedRef, Source
from tests.factories import article


def test_a_value_is_read_back_only_under_its_own_key(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "thing.pickle"
    write_cache(path, "k1", {"a": 1})
    assert read_cache(path, "k1") == {"a": 1}
    assert read_cache(path, "k2") is None
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["thing.pickle"]  # no temporary left


def test_a_missing_truncated_or_foreign_file_is_a_miss(tmp_path: Path) -> None:
    path = tmp_path / "thing.pickle"
    assert read_cache(path, "k") is None
    write_cache(path, "k", list(range(1000)))
    path.write_bytes(path.read_bytes()[:50])
    assert read_cache(path, "k") is None
    path.write_bytes(b"not a pickle at all")
    assert read_cache(path, "k") is None
    path.write_bytes(pickle.dumps("no key and value pair"))
    assert read_cache(path, "k") is None


def test_parts_are_read_only_when_asked_and_only_from_the_file_as_opened(
    tmp_path: Path,
) -> None:
    path = tmp_path / "thing.pickle"
    write_cache(path, "k", "head", ["first"], {"second": 2})
    stored = open_cache(path, "k")
    assert stored is not None and stored.value == "head"
    assert stored.part(1) == {"second": 2}
    assert stored.part(0) == ["first"]
    with pytest.raises(LookupError):
        stored.part(2)
    assert open_cache(path, "other key") is None
    write_cache(path, "k", "new head", ["replaced"])  # renamed over the opened file
    with pytest.raises(OSError):
        stored.part(0)
    again = open_cache(path)  # any key
    assert again is not None and again.value == "new head" and again.part(0) == ["replaced"]
    # Rewritten in place (a copy or a restore over it), even cut short: an exception,
    # never a mix of two files nor a crash.
    whole = path.read_bytes()
    with path.open("r+b") as file:
        file.truncate(len(whole) // 2)
    with pytest.raises(OSError):
        again.part(0)


def test_a_file_cut_anywhere_is_a_miss_not_a_bad_part(tmp_path: Path) -> None:
    path = tmp_path / "thing.pickle"
    write_cache(path, "k", "head", list(range(500)), "tail")
    whole = path.read_bytes()
    for end in range(0, len(whole), 97):
        path.write_bytes(whole[:end])
        assert open_cache(path, "k") is None, end
    path.write_bytes(whole + b"x")
    assert open_cache(path, "k") is None


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")
    write_cache(blocker / "thing.pickle", "k", 1)  # no exception
    assert read_cache(blocker / "thing.pickle", "k") is None


def test_a_file_changed_just_now_has_no_stamp_yet(tmp_path: Path) -> None:
    path = tmp_path / "record.md"
    path.write_text("x")
    assert file_stamp(path) is None
    old = time.time() - 60
    os.utime(path, (old, old))
    stamp = file_stamp(path)
    assert stamp is not None
    # Same size, and the time put back: the change time still tells.
    path.write_text("y")
    os.utime(path, (old, old))
    assert file_stamp(path) not in (None, stamp)
    assert file_stamp(tmp_path / "gone.md") is None


def test_keys_differ_with_any_part() -> None:
    assert key_of("a", ("b", 1)) == key_of("a", ("b", 1))
    assert key_of("a", ("b", 1)) != key_of("a", ("b", 2))
    assert key_of("ab", "c") != key_of("a", "bc")


text = st.text(max_size=30)


@given(
    title=text,
    body=text,
    tags=st.lists(text, max_size=3).map(tuple),
    line=st.none() | st.integers(min_value=1, max_value=10**6),
)
def test_records_pickle_to_equal_records(
    title: str, body: str, tags: tuple[str, ...], line: int | None
) -> None:
    raw = RawArticle(
        Source("articles/a.md", line),
        title,
        body,
        tags=tags,
        related=(RelatedRef("title", title, None, line),),
        field_lines=(("title", 2),),
    )
    story = article(title=title or "x", tags=tags)
    problem = Problem(body, "articles/a.md", line, "title")
    for value in (raw, story, problem):
        copy = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert copy == value and repr(copy) == repr(value)


def test_what_a_run_reads_is_frozen_until_the_run_ends(tmp_path: Path) -> None:
    path = tmp_path / "thing.pickle"
    write_cache(path, "k", "head", [article(f"Story {n}") for n in range(50)])
    with cache_reads_frozen():
        stored = open_cache(path, "k")
        assert stored is not None and len(stored.part(0)) == 50  # type: ignore[arg-type]
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def refuse_kernel_copy(*args: object) -> int:
    raise OSError(errno.EXDEV, "not between these files")


@pytest.mark.parametrize("kernel_copy", ["used", "refused", "absent"])
def test_a_table_rewritten_with_one_row_changed_copies_the_other_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel_copy: str
) -> None:
    if kernel_copy == "refused":
        monkeypatch.setattr(os, "copy_file_range", refuse_kernel_copy, raising=False)
    elif kernel_copy == "absent":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    path = tmp_path / "table.pickle"
    table: dict[str, object] = {f"articles/{n}.md": ("stamp", n) for n in range(200)}
    write_cache(path, "k", None, *shard_parts(table, {}, None, 0))
    stored = open_cache(path, "k")
    assert stored is not None
    read = read_shards(stored, 0)
    assert read == table
    changed = dict(read, **{"articles/7.md": ("new stamp", 7)})
    parts = shard_parts(changed, read, stored, 0)
    copied = [part for part in parts if isinstance(part, Copied)]
    assert len(parts) == SHARDS and len(copied) == SHARDS - 1
    # A row made again of the very same parts is the same row; an equal one is not.
    remade = {name: tuple(row) for name, row in read.items()}  # type: ignore[arg-type]
    assert all(isinstance(p, Copied) for p in shard_parts(remade, read, stored, 0))
    stamp = "".join(["st", "amp"])  # equal to the rows' stamps, not the same object
    equal = {name: (stamp, row[1]) for name, row in read.items()}  # type: ignore[index]
    assert not any(isinstance(p, Copied) for p in shard_parts(equal, read, stored, 0))
    write_cache(path, "k", None, *parts)  # over the file the copies come from
    again = open_cache(path, "k")
    assert again is not None and read_shards(again, 0) == changed


def test_nothing_is_frozen_outside_a_run_nor_when_the_process_froze_its_own(
    tmp_path: Path,
) -> None:
    path = tmp_path / "thing.pickle"
    write_cache(path, "k", "head", list(range(100)))
    stored = open_cache(path, "k")
    assert stored is not None and stored.part(0) == list(range(100))
    assert gc.get_freeze_count() == 0
    gc.freeze()  # the host's own, e.g. a server before it forks
    try:
        held = gc.get_freeze_count()
        with cache_reads_frozen():
            stored.part(0)
        assert gc.get_freeze_count() == held  # neither more frozen nor thawed
    finally:
        gc.unfreeze()
