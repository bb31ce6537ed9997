"""A build in worker processes (`--jobs`, `[build] jobs`) makes the very bytes, paths,
errors and warnings of a build in one process."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import syndicate._util.workers as workers_module
import syndicate.site.loaders as loaders
from syndicate import api
from syndicate.errors import ConfigError, WorkerError
from tests.commands import invoke
from tests.factories import copy_example_site, markdown_record, scraped_page, write_site

CONFIG = """[site]
base_url = "https://news.example.com/"
sections = ["World", "Business", "Culture"]

[feeds]
entries = 4
"""


def _generated_site(root: Path, count: int = 90) -> Path:
    """Records of every kind, some with warnings and a few broken."""
    files: dict[str, str | bytes] = {}
    sections = ("world", "business", "culture", "sport")
    for number in range(count):
        folder = sections[number % 4]
        front: dict[str, object] = {
            "title": f"Story number {number}",
            "published": f"2026-10-{number % 28 + 1:02d}T{number % 24:02d}:00:00Z",
        }
        if number % 5 == 0:
            front["image"] = f"/images/{number}.jpg"  # no alt: a warning
        if number % 7 == 0:
            front["related"] = [f"Story number {number - 1}", "A story nobody wrote"]
        body = f"Paragraph *{number}* with [a link](/{folder}/{number}/).\n\nMore text."
        files[f"{folder}/story-{number}.md"] = markdown_record(front, body)
    files["world/bad-date.md"] = markdown_record({"title": "Bad", "published": "not a date"})
    files["world/broken.md"] = "---\ntitle: [unclosed\n---\nText\n"
    files["business/many.json"] = json.dumps(
        [
            {"id": f"json-{n}", "title": f"Wire item {n}", "section": "Business",
             "published": f"2026-09-{n + 1:02d}T08:00:00Z", "body": f"<p>Wire {n}</p>"}
            for n in range(12)
        ]
    )  # fmt: skip
    files["culture/scraped.txt"] = scraped_page("A Scraped Review", section="Culture")
    files["world/latin1.md"] = "---\ntitle: Caf\xe9 story\n---\nText\n".encode("latin-1")
    return write_site(root, files, config=CONFIG)


def _staged(built: api.BuiltSite) -> list[tuple[str, bytes]]:
    folder = built.feeds.folder
    return [(path, (folder / path).read_bytes()) for path in built.feeds.paths]


def _compare_builds(root: Path, monkeypatch: pytest.MonkeyPatch) -> api.BuiltSite:
    """Build with one process, then (caches dropped: cold again) with two workers,
    every piece of work handed to them; the second build is returned."""
    serial = api.build(root, {}, jobs=1)
    staged = _staged(serial)
    shutil.rmtree(serial.site.config.paths.caches.site.parent, ignore_errors=True)
    monkeypatch.setattr(workers_module, "WORTH_STARTING", 1)
    parallel = api.build(root, {}, jobs=2)
    assert _staged(parallel) == staged
    assert parallel.site.errors == serial.site.errors
    assert parallel.site.warnings == serial.site.warnings
    assert parallel.site.articles == serial.site.articles
    return parallel


def test_the_example_site_builds_the_same_in_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _compare_builds(copy_example_site(tmp_path), monkeypatch)


def test_a_generated_site_builds_the_same_in_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _compare_builds(_generated_site(tmp_path), monkeypatch)
    assert len(built.site.errors) == 2 and len(built.site.warnings) > 20
    assert any(path.startswith("archive/") for path in built.feeds.paths)


def test_a_publish_in_workers_publishes_what_one_process_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _generated_site(tmp_path)
    monkeypatch.setattr(workers_module, "WORTH_STARTING", 1)
    report = api.publish(root, {}, jobs=2, send=False)
    assert report.feed_counts()["written"] > 20
    feeds = root / "feeds"
    published = {
        p.relative_to(feeds).as_posix(): p.read_bytes() for p in feeds.rglob("*") if p.is_file()
    }
    shutil.rmtree(root / ".syndicate" / "cache", ignore_errors=True)
    serial = api.build(root, {}, jobs=1)
    assert dict(_staged(serial)) == published


def _dying_batch(*args: object) -> None:
    os._exit(9)  # as a worker killed for memory would


def test_a_worker_that_dies_fails_the_publish_with_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _generated_site(tmp_path)
    monkeypatch.setattr(workers_module, "WORTH_STARTING", 1)
    monkeypatch.setattr(loaders, "_load_batch", _dying_batch)
    with pytest.raises(WorkerError, match="worker process ended abruptly"):
        api.publish(root, {}, jobs=2, send=False)
    assert not (root / "feeds").exists()
    status, _, err = invoke("publish", str(root), "--jobs", "2")
    assert status == 1 and "worker process ended abruptly" in err
    assert "Traceback" not in err


def test_jobs_in_the_config_and_on_the_command_line(tmp_path: Path) -> None:
    root = _generated_site(tmp_path, count=8)
    (root / "syndicate.toml").write_text(CONFIG + "\n[build]\njobs = 2\n", "utf-8")
    assert invoke("build", str(root), "--quiet", "--jobs", "1")[0] == 1  # two bad records
    status, _, err = invoke("build", str(root), "--jobs", "-1")
    assert status == 2 and "--jobs" in err
    (root / "syndicate.toml").write_text(CONFIG + "\n[build]\njobs = -3\n", "utf-8")
    with pytest.raises(ConfigError, match=r"build\.jobs"):
        api.build(root, {})
