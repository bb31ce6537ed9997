from __future__ import annotations

import os
from pathlib import Path

import pytest

from syndicate.site.loaders.files import find_record_files


def site_with(tmp_path: Path, *names: str) -> Path:
    articles = tmp_path / "site" / "articles"
    for name in names:
        (articles / name).parent.mkdir(parents=True, exist_ok=True)
        (articles / name).write_text("x")
    articles.mkdir(parents=True, exist_ok=True)
    return articles


def test_record_files_sorted_and_hidden_or_other_files_skipped(tmp_path: Path) -> None:
    articles = site_with(
        tmp_path, "b/two.md", "a/one.JSON", "a/.draft.md", ".git/x.md", "c/pic.jpg", "c/list.jsonl"
    )
    found = find_record_files(articles)
    names = [p.relative_to(articles).as_posix() for p in found.files]
    assert names == ["a/one.JSON", "b/two.md", "c/list.jsonl"]
    assert found.errors == [] and found.warnings == []


def test_links_inside_the_site_are_followed_and_outside_refused(tmp_path: Path) -> None:
    articles = site_with(tmp_path, "world/real.md")
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    (articles / "world" / "alias.md").symlink_to(articles / "world" / "real.md")
    (articles / "world" / "leak.txt").symlink_to(secret)
    (articles / "world" / "gone.md").symlink_to(tmp_path / "missing.md")
    (articles / "loop").symlink_to(articles)
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "story.md").write_text("x")
    (articles / "shared").symlink_to(outside)
    found = find_record_files(articles)
    assert [p.name for p in found.files] == ["alias.md", "real.md"]
    assert sorted((p.file, p.message) for p in found.errors) == [
        ("articles/shared", "links outside the site folder; not read"),
        ("articles/world/leak.txt", "links outside the site folder; not read"),
    ]
    assert [p.file for p in found.warnings] == ["articles/world/gone.md"]


@pytest.mark.skipif(os.uname().sysname == "Darwin", reason="macOS file names are always UTF-8")
def test_a_file_name_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    articles = site_with(tmp_path, "good.md")
    with open(os.path.join(os.fsencode(articles), b"caf\xe9.md"), "wb") as raw:
        raw.write(b"x")
    found = find_record_files(articles)
    assert [p.name for p in found.files] == ["good.md"]
    assert [p.message for p in found.errors] == ["file name is not UTF-8; rename it"]
    assert found.errors[0].file is not None
    found.errors[0].file.encode("utf-8")  # printable, never a lone surrogate
