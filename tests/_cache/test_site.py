"""Loading through the caches: the last run's records and normalised site, only while
they are true."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from syndicate._cache import files as cache_files
from syndicate._cache import site as site_cache
from syndicate._cache.site import reuse_site
from syndicate.site import load as site_module
from syndicate.site import loaders
from syndicate.site import normalise as normalise_module
from syndicate.site.load import load_site
from syndicate.site.loaders import relative_name
from syndicate.site.records import article_fingerprint
from tests.factories import NOW, copy_example_site, markdown_record


def settle(root: Path, *only: Path) -> None:
    """Record files dated a minute back, as files are when a later run reads them."""
    old = time.time() - 60
    for path in only or (root / "articles").rglob("*"):
        os.utime(path, (old, old))


def first_arguments(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[Any]:
    """The first argument of every call of `module.name` from now on."""
    real, seen = getattr(module, name), []

    def recording(first: Any, *args: Any) -> Any:
        seen.append(first)
        return real(first, *args)

    monkeypatch.setattr(module, name, recording)
    return seen


def retitle(path: Path, prefix: str, *, keep_size: bool = False) -> str:
    """Put `prefix` before the record's title; the text it had before."""
    text = path.read_text("utf-8")
    changed = text.replace("title: ", f"title: {prefix}", 1)
    path.write_text(changed[: len(text)] if keep_size else changed, "utf-8")
    return text


def loads(root: Path) -> Any:
    return load_site(root, {}, now=NOW, make=reuse_site)


def test_an_unchanged_site_is_not_parsed_nor_normalised_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    first = loads(root)
    plain = load_site(root, {}, now=NOW)

    def fails(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed or normalised again")

    monkeypatch.setattr(site_module, "normalise", fails)
    monkeypatch.setattr(site_cache, "normalise", fails)
    monkeypatch.setattr("syndicate.site.loaders._load_file", fails)
    again = loads(root)
    assert again.articles == first.articles == plain.articles
    assert [repr(a) for a in again.articles] == [repr(a) for a in plain.articles]
    assert (again.sections, again.errors, again.warnings) == (
        plain.sections,
        plain.errors,
        plain.warnings,
    )
    assert again.fingerprints and set(again.fingerprints) == {a.id for a in plain.articles}


def test_only_the_changed_file_is_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    loads(root)
    edited = next((root / "articles").rglob("*.md"))
    retitle(edited, "Edited ")
    settle(root, edited)  # (touching a file changes its stamp: only this one)
    parsed = first_arguments(monkeypatch, loaders, "_load_file")
    again = loads(root)
    assert parsed == [edited]
    assert again.articles == load_site(root, {}, now=NOW).articles
    assert any(a.title.startswith("Edited ") for a in again.articles)


def test_a_same_size_edit_with_the_time_put_back_is_seen(tmp_path: Path) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    loads(root)
    edited = next((root / "articles").rglob("*.md"))
    status = edited.stat()
    retitle(edited, "X", keep_size=True)
    os.utime(edited, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert edited.stat().st_size == status.st_size
    again = loads(root)
    assert any(a.title.startswith("X") for a in again.articles)


def test_a_file_changed_just_now_is_read_and_not_cached(tmp_path: Path) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    loads(root)
    edited = next((root / "articles").rglob("*.md"))
    text = retitle(edited, "Now ")
    assert any(a.title.startswith("Now ") for a in loads(root).articles)
    edited.write_text(text.replace("title: ", "title: Then ", 1), "utf-8")
    assert any(a.title.startswith("Then ") for a in loads(root).articles)


def test_settings_and_state_are_part_of_the_key(tmp_path: Path) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    first = loads(root)
    config = root / "syndicate.toml"
    config.write_text(config.read_text("utf-8").replace("https://", "https://other.", 1), "utf-8")
    moved = loads(root)
    assert moved.articles != first.articles
    assert moved.articles == load_site(root, {}, now=NOW).articles
    # A new state store: first-seen dates are those of this run, not the cached ones.
    (root / ".syndicate" / "state.db").unlink()
    later = NOW.replace(year=NOW.year + 1)
    fresh = load_site(root, {}, now=later, make=reuse_site)
    assert fresh.articles == load_site(root, {}, now=later).articles


def test_a_new_file_and_a_removed_one_are_seen(tmp_path: Path) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    count = len(loads(root).articles)
    (root / "articles" / "world" / "added.md").write_text(
        markdown_record({"title": "Added Story", "published": "2026-11-20T09:00:00Z"})
    )
    settle(root, root / "articles" / "world" / "added.md")
    assert len(loads(root).articles) == count + 1
    (root / "articles" / "world" / "added.md").unlink()
    assert len(loads(root).articles) == count


def test_a_corrupt_cache_is_only_slower(tmp_path: Path) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    first = loads(root)
    for cache in (root / ".syndicate" / "cache").iterdir():
        cache.write_bytes(b"\x80\x05garbage")
    assert loads(root).articles == first.articles


def test_relative_name_is_relative_to_as_posix(tmp_path: Path) -> None:
    for path in (tmp_path / "a" / "b.md", tmp_path / "x y" / "é.md", tmp_path / "f.md"):
        assert relative_name(path, tmp_path) == path.relative_to(tmp_path).as_posix()


def test_an_edit_makes_only_that_article_again_and_links_follow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    loads(root)
    made = first_arguments(monkeypatch, normalise_module, "_article")
    # Each story that others link to by title or id, renamed in turn: its own article
    # is made again, the others are taken, and their links show the new title.
    for path in sorted((root / "articles").rglob("*.md"))[:4]:
        made.clear()
        retitle(path, "Renamed ")
        settle(root, path)
        again = loads(root)
        assert [raw.source.file for raw in made] == [path.relative_to(root).as_posix()]
        plain = load_site(root, {}, now=NOW)
        assert [repr(a) for a in again.articles] == [repr(a) for a in plain.articles]
        assert (again.errors, again.warnings) == (plain.errors, plain.warnings)
        assert again.fingerprints == {a.id: article_fingerprint(a) for a in plain.articles}
    renamed = [r for a in plain.articles for r in a.related if r.title.startswith("Renamed ")]
    assert renamed, "no link to a renamed story: the test proves nothing"


def test_drafts_are_not_taken_under_other_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    count = len(loads(root).articles)
    config = root / "syndicate.toml"
    config.write_text(config.read_text("utf-8").replace("https://", "https://other.", 1))
    made = first_arguments(monkeypatch, normalise_module, "_article")
    again = loads(root)
    assert len(made) == count
    assert again.articles == load_site(root, {}, now=NOW).articles


def test_a_site_taken_whole_reads_its_articles_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    loads(root)
    plain = load_site(root, {}, now=NOW)
    parts = first_arguments(monkeypatch, cache_files.StoredCache, "part")
    again = loads(root)
    assert again.cache_key is not None
    assert (again.article_count, again.section_counts) == (
        len(plain.articles),
        Counter(a.section for a in plain.articles),
    )
    assert (again.sections, again.errors, again.warnings) == (
        plain.sections,
        plain.errors,
        plain.warnings,
    )
    assert parts == []
    assert again.articles == plain.articles
    assert parts  # read when asked


def test_damaged_stored_articles_are_made_again(tmp_path: Path) -> None:
    root = copy_example_site(tmp_path)
    settle(root)
    loads(root)
    plain = load_site(root, {}, now=NOW)
    cache = root / ".syndicate" / "cache" / "site.pickle"
    whole = cache.read_bytes()
    middle = len(whole) // 2  # inside the articles, after the head
    cache.write_bytes(whole[:middle] + b"\xff" * 64 + whole[middle + 64 :])
    again = loads(root)
    assert again.cache_key is not None  # the head still read as whole
    assert again.articles == plain.articles
    # ... and the damaged cache is dropped: the next run makes it again, whole.
    assert not cache.exists()
    assert loads(root).articles == plain.articles
    repaired = loads(root)
    assert repaired.cache_key is not None and repaired.articles == plain.articles
