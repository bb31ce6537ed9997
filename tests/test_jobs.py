"""A build in worker processes (`--jobs`, `[build] jobs`) makes the very bytes, paths,
errors and warnings of a build in one process."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import syndicate._util.workers as workers_module
import syndicate.feeds.publish as feeds_publish
import syndicate.site.loaders as loaders
from syndicate import api
from syndicate.errors import ConfigError, WorkerError
from syndicate.validate import staged
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


def _handed_over(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the work functions whose batches go to worker processes, as runs
    hand them over (work under the bar stays in this process and is not listed)."""
    handed: list[str] = []
    real = workers_module.Workers._ordered

    def spying(self: workers_module.Workers, work: Any, chunks: Any) -> Any:
        handed.append(getattr(work, "func", work).__name__)
        return real(self, work, chunks)

    monkeypatch.setattr(workers_module.Workers, "_ordered", spying)
    return handed


def _compare_builds(root: Path, monkeypatch: pytest.MonkeyPatch) -> api.BuiltSite:
    """Build with one process, then (caches dropped: cold again) with two workers,
    every piece of work handed to them; the second build is returned."""
    handed = _handed_over(monkeypatch)
    serial = api.build(root, {}, jobs=1)
    staged = _staged(serial)
    shutil.rmtree(serial.site.config.paths.caches.site.parent, ignore_errors=True)
    assert handed == []
    monkeypatch.setattr(workers_module, "WORTH_STARTING", 1)
    parallel = api.build(root, {}, jobs=2)
    assert handed == ["_load_batch", "_write_pages"]
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
    handed = _handed_over(monkeypatch)
    real_commit, alive = api.commit_edition, []

    def commit(*args: Any) -> Any:
        alive.extend(multiprocessing.active_children())
        return real_commit(*args)

    monkeypatch.setattr(api, "commit_edition", commit)
    report = api.publish(root, {}, jobs=2, send=False)
    assert handed == ["_load_batch", "_write_pages", "_check_batch"]
    assert alive == []  # the workers stopped once the feeds were checked
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


@pytest.mark.parametrize(
    ("module", "work"),
    [(loaders, "_load_batch"), (feeds_publish, "_write_pages"), (staged, "_check_batch")],
    ids=["parsing", "building", "checking"],
)
def test_a_worker_that_dies_fails_the_publish_with_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: object, work: str
) -> None:
    root = _generated_site(tmp_path)
    monkeypatch.setattr(workers_module, "WORTH_STARTING", 1)
    monkeypatch.setattr(module, work, _dying_batch)
    with pytest.raises(WorkerError, match="worker process ended abruptly"):
        api.publish(root, {}, jobs=2, send=False)
    assert not (root / "feeds").exists()
    status, _, err = invoke("publish", str(root), "--jobs", "2")
    assert status == 1 and "worker process ended abruptly" in err
    assert "Traceback" not in err  # (the command's own; a dead worker says nothing)
    assert not (root / "feeds").exists()


def test_jobs_in_the_config_and_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _generated_site(tmp_path, count=8)
    monkeypatch.setattr(workers_module, "WORTH_STARTING", 1)
    handed = _handed_over(monkeypatch)
    (root / "syndicate.toml").write_text(CONFIG + "\n[build]\njobs = 2\n", "utf-8")
    assert invoke("build", str(root), "--quiet", "--jobs", "1")[0] == 1  # two bad records
    assert handed == []  # --jobs 1 wins over the file
    assert invoke("build", str(root), "--quiet")[0] == 1
    assert handed == ["_load_batch", "_write_pages"]  # the file's 2
    (root / "syndicate.toml").write_text(CONFIG + "\n[build]\njobs = 1\n", "utf-8")
    assert invoke("build", str(root), "--quiet")[0] == 1
    assert len(handed) == 2
    status, _, err = invoke("build", str(root), "--jobs", "-1")
    assert status == 2 and "--jobs" in err
    (root / "syndicate.toml").write_text(CONFIG + "\n[build]\njobs = -3\n", "utf-8")
    with pytest.raises(ConfigError, match=r"build\.jobs"):
        api.build(root, {})


SCRIPT = """
import sys
from pathlib import Path

import syndicate
import syndicate._util.workers

syndicate._util.workers.WORTH_STARTING = 1  # a small site, handed to workers all the same
print("top level run", flush=True)
{call}
"""


@pytest.mark.parametrize("guarded", [True, False], ids=["guarded", "unguarded"])
def test_a_script_builds_once_and_an_unguarded_one_is_told_why_it_cannot(
    tmp_path: Path, guarded: bool
) -> None:
    root = _generated_site(tmp_path / "site", count=12)
    call = "syndicate.build(Path(sys.argv[1]), {}, jobs=2)"
    if guarded:
        call = f'if __name__ == "__main__":\n    {call}'
    script = tmp_path / "script.py"
    script.write_text(SCRIPT.format(call=call), "utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(root)], capture_output=True, text=True, timeout=120
    )
    if guarded:
        assert done.returncode == 0, done.stderr
        assert (root / ".syndicate" / "build" / "feeds" / "rss.xml").is_file()
    else:
        # The workers ran the script's top level again and refused to build there.
        assert done.returncode != 0
        assert "worker process ended abruptly" in done.stderr
        assert 'put the call under `if __name__ == "__main__":`' in done.stderr
    # Each worker ran the top level again (a print there prints again); no build did.
    assert done.stdout.count("top level run") >= 2
