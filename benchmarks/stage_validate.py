"""validate: `syndicate validate` on 1,000 feed files (feeds per second): the command as
a user runs it (`syndicate validate FOLDER --quiet`, a process per run, its start-up
included). Also reported: `library_rate`, the same check in process
(`syndicate.validate.paths.validate_paths`), timed once.

The corpus: 1,000 of the feed documents (RSS, Atom and JSON Feed, subscription feeds
and archive pages, a third of each) that our build makes of a generated site, with
`--entries` entries each (default 10; `make bench BIG=1` adds 50, our default).

Floor: reading the same files with the bare libraries: feedparser for RSS and
Atom (with the options of our own read-back: no HTML sanitising, no URI
resolving), json.loads for JSON Feed. Ours does that too, and its own checks
(lxml, RELAX NG for Atom, each format's rules) besides.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import feedparser

from benchmarks.common import (
    ENV,
    emit,
    interleaved,
    log,
    median_seconds,
    profile,
    row,
    site_copy,
    timer,
)
from benchmarks.common import parser as arguments
from syndicate import api
from syndicate.validate.paths import validate_paths

FEEDS = 1_000


def corpus(folder: Path, entries: int) -> Path:
    """FEEDS feed documents of a site built with `entries` per feed, paths kept."""
    documents_per_article = 3 * 2 / entries  # three formats; the site and a section
    size = int(FEEDS / documents_per_article * 1.05)
    root = site_copy(size, folder, f"\n[feeds]\nentries = {entries}\n")
    staged = api.build(root, ENV).feeds
    paths = sorted(staged.feed_paths)
    assert len(paths) >= FEEDS, len(paths)
    chosen = [paths[n * len(paths) // FEEDS] for n in range(FEEDS)]
    target = folder / "corpus"
    for path in chosen:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(staged.folder / path, target / path)
    shutil.rmtree(root)
    return target


def command(target: Path) -> None:
    syndicate = [sys.executable, "-m", "syndicate", "validate", str(target), "--quiet"]
    done = subprocess.run(syndicate, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"validate exited {done.returncode}:\n{done.stdout}{done.stderr}")


def library(target: Path) -> None:
    run = validate_paths([target])
    assert len(run.reports) == FEEDS and all(r.valid for r in run.reports)


def floor(files: list[Path]) -> None:
    for path in files:
        content = path.read_bytes()
        if path.suffix == ".json":
            json.loads(content)
        else:
            parsed = feedparser.parse(content, sanitize_html=False, resolve_relative_uris=False)
            assert not parsed.bozo, parsed.bozo_exception


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--entries", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        target = corpus(Path(folder), args.entries)
        files = sorted(p for p in target.rglob("*") if p.is_file())
        kilobytes = sum(p.stat().st_size for p in files) / len(files) / 1024
        log(f"validate: {FEEDS} feeds of {args.entries} entries, {kilobytes:.0f} KB each")
        medians = interleaved(
            {"ours": timer(lambda: command(target)), "floor": timer(lambda: floor(files))},
            args.runs,
        )
        seconds, floor_seconds = medians["ours"], medians["floor"]
        # The command's processes are this one's only children: their peak is its peak.
        peak = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
        in_process = median_seconds(lambda: library(target), 1)  # a note: one run
        if args.profile:
            profile(lambda: library(target), f"validate {FEEDS}")
    emit(
        row("validate", FEEDS, seconds, floor_seconds, peak)
        | {
            "library_rate": round(FEEDS / in_process, 1),
            "entries_per_feed": args.entries,
            "feed_kb": round(kilobytes, 1),
            "target": None,
        }
    )


if __name__ == "__main__":
    os.environ.update(ENV)
    main()
