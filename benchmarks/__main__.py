"""`make bench`: every stage against its bare-library floor, one table.

Each stage runs in a fresh process (`python -m benchmarks.stage_x --size N`, which
prints its rows as JSON), so each row's peak RSS is that stage's own. Timings are
medians of 3 runs; rate is size per second; ratio = our rate / the floor's rate
(1.0: as fast as the bare library; higher is better). The rows also go to
benchmarks/results.json. `--big` (`make bench BIG=1`) adds the large sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import CACHE_VARIABLE

RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass
class Job:
    module: str
    size: int
    options: list[str] = field(default_factory=list)
    big: bool = False  # only with --big

    @property
    def label(self) -> str:
        return " ".join([self.module.removeprefix("stage_"), str(self.size), *self.options])


JOBS = [
    Job("stage_load", 1_000),
    Job("stage_load", 10_000),
    Job("stage_load", 100_000, big=True),
    Job("stage_feeds", 1_000),
    Job("stage_feeds", 1_000, ["--entries", "200"]),  # memory against entries per feed
    Job("stage_feeds", 10_000),
    Job("stage_feeds", 100_000, big=True),
    # Cold publish and build, --jobs 0 against 1, one run each (a run takes minutes).
    Job("stage_first_build", 10_000, ["--runs", "1"]),
    Job("stage_first_build", 100_000, ["--runs", "1"], big=True),
    Job("stage_republish", 10_000),  # after first-build 10k: its --jobs 1 build is the floor
    Job("stage_digest", 10_000, ["--kind", "compile"]),
    Job("stage_digest", 100_000, ["--kind", "compile"], big=True),
    Job("stage_digest", 10_000, ["--kind", "messages"]),
    # The same subscribers reading the site's language, de, ja and ar in turn.
    Job("stage_digest", 10_000, ["--kind", "compile", "--languages", "de,ja,ar"]),
    Job("stage_digest", 10_000, ["--kind", "messages", "--languages", "de,ja,ar"]),
    Job("stage_digest", 100_000, ["--kind", "messages"], big=True),
    # 5k subscribers by default, for time; the memory target compares 100k with 10k.
    Job("stage_dispatch", 5_000, ["--backend", "outbox"]),
    Job("stage_dispatch", 10_000, ["--backend", "outbox"], big=True),
    Job("stage_dispatch", 100_000, ["--backend", "outbox"], big=True),
    Job("stage_dispatch", 5_000, ["--backend", "smtp"]),
    Job("stage_dispatch", 5_000, ["--backend", "smtp", "--dkim"]),  # RSA-2048, each message
    Job("stage_dispatch", 10_000, ["--backend", "smtp"], big=True),
    Job("stage_dispatch", 100_000, ["--backend", "smtp"], big=True),
    Job("stage_validate", 1_000, ["--entries", "10"]),
    Job("stage_validate", 1_000, ["--entries", "50"], big=True),
    Job("stage_serve", 400),
    Job("stage_bounces", 10_000),
    Job("stage_workers", 1_000),  # needs PostgreSQL's binaries (Debian's postgresql)
    # Import and queue: memory against subscribers, on both stores.
    Job("stage_queue", 100_000, big=True),
    Job("stage_queue", 1_000_000, big=True),
    Job("stage_queue", 100_000, ["--engine", "postgresql"], big=True),
    Job("stage_queue", 1_000_000, ["--engine", "postgresql"], big=True),
]


def run(
    job: Job, cache: Path, rows: list[dict[str, object]], profiling: bool = False
) -> list[dict[str, object]]:
    command = [sys.executable, "-m", f"benchmarks.{job.module}", "--size", str(job.size)]
    command += job.options + (["--profile"] if profiling else [])
    if job.module == "stage_republish":
        full = [r for r in rows if r["stage"] == "first-build" and r["size"] == job.size]
        if full:
            command += ["--floor-seconds", str(full[0]["build_seconds_jobs1"])]
    start = time.perf_counter()
    print(f"  {job.label} ...", end="", file=sys.stderr, flush=True)
    done = subprocess.run(
        command,
        env=os.environ | {CACHE_VARIABLE: str(cache)},
        capture_output=True,
        text=True,
        check=False,
    )
    print(f" {time.perf_counter() - start:.0f}s", file=sys.stderr, flush=True)
    if done.returncode != 0 or profiling:
        print(done.stderr, file=sys.stderr)
    if done.returncode != 0:
        raise SystemExit(f"{job.label} failed (exit {done.returncode})")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def judged(result: dict[str, object]) -> str:
    """The row's target and whether it is met, as the table shows it."""
    target = result.get("target")
    if target is None:
        return ""
    if isinstance(target, str):
        return f"{target}: {'met' if result.get('met') else 'MISSED'}"
    assert isinstance(target, int | float)
    ratio = result["ratio"]
    assert isinstance(ratio, int | float)
    return f">={target:g}: {'met' if ratio >= target else 'MISSED'}"


def notes(result: dict[str, object]) -> str:
    """What a stage has to say beyond the common columns."""
    r = result
    stage = str(r["stage"])
    if stage == "load":
        workers = f"{r['jobs']} workers; " if "jobs" in r else ""
        return f"{workers}floor with markdown-it too: {r['floor_md_rate']}/s"
    if stage.startswith("republish"):
        return f"{number(r['fraction']) * 100:.1f}% of a cold full build, --jobs 1 (target 5%)"
    if stage == "first-build":
        return (
            f"publish --no-send, cold; --jobs 1: {r['seconds_jobs1']}s; build alone "
            f"{r['build_seconds']}s (--jobs 1: {r['build_seconds_jobs1']}s); memory "
            f"{r['memory_ratio']}x one process's {r['pss_mb_jobs1']} MB (PSS, all processes)"
        )
    if stage == "feeds":
        return (
            f"{r['jobs']} workers (one process: {r['seconds_jobs1']}s); "
            f"{r['entries_per_feed']} entries/feed: {r['documents']} documents, "
            f"{r['output_mb']} MB; the build holds {r['build_mb']} MB at most"
        )
    languages = r.get("languages")
    spoken = f"in site's, {', '.join(map(str, languages))}: " if isinstance(languages, list) else ""
    if stage.startswith("digest-compile"):
        return spoken + (
            f"{r['compiles']} MJML compiles for {r['variants']} variants and {r['size']} "
            f"subscribers (+web copy); {r['compile_ms']} ms each"
        )
    if stage.startswith("digest-messages"):
        return spoken + (
            f"naive EmailMessage: {r['naive_rate']}/s (ours {r['vs_naive']}x); "
            f"{r['message_kb']} KB each"
        )
    if stage == "outbox":
        return f"{r['message_kb']} KB messages"
    if stage == "smtp-dkim":
        return (
            f"signed {r['vs_unsigned']}x our unsigned rate (target 0.8); CPU "
            f"{r['cpu_ms_signed']} against {r['cpu_ms_unsigned']} ms a message; "
            f"{r['connections']} connections; sink busy {r['sink_cpu']}"
        )
    if stage == "smtp":
        return (
            f"bare asyncio client {r['asyncio_rate']}/s (ratio {r['vs_asyncio']}); "
            f"{r['connections']} connections; sink busy {r['sink_cpu']}"
        )
    if stage == "validate":
        return (
            f"{r['entries_per_feed']} entries, {r['feed_kb']} KB a feed; "
            f"in process {r['library_rate']}/s"
        )
    if stage == "bounces":
        return "a Maildir of reports, 7 shapes; floor: flufl.bounce's scan alone"
    if stage in ("dispatch-workers", "dispatch-pg"):
        rates = r["rates"]
        assert isinstance(rates, dict)
        shown = ", ".join(f"{key} {value}/s" for key, value in rates.items())
        return f"{shown}; sink waits {r['delay']}s a message, {r['connections']} conn/worker"
    if stage.startswith("queue"):
        return f"import {r['import_seconds']}s, then plan and queue"
    if stage == "serve":
        return (
            f"all-304: {r['rate_304']}/s vs floor {r['floor_rate_304']}/s; "
            f"with a share of {r['browser_share']} from browsers: "
            f"{r['rate_mixed']}/s vs floor {r['floor_rate_mixed']}/s"
        )
    return ""


def number(value: object) -> float:
    """A figure of a row (a JSON number, or a string of one)."""
    return float(value) if isinstance(value, int | float | str) else float("nan")


def table(rows: list[dict[str, object]]) -> str:
    head = (
        f"{'stage':<20}{'size':>8}{'seconds':>9}{'rate/s':>10}{'floor/s':>10}"
        f"{'ratio':>7}{'RSS MB':>8}  {'target':<27}notes"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['stage']!s:<20}{r['size']!s:>8}{number(r['seconds']):>9.3f}"
            f"{number(r['rate']):>10.0f}{number(r['floor_rate']):>10.0f}"
            f"{number(r['ratio']):>7.3f}{r['peak_rss_mb']!s:>8}  {judged(r):<27}{notes(r)}"
        )
    return "\n".join(lines)


def across(rows: list[dict[str, object]]) -> list[str]:
    """Targets that compare rows: memory against size."""
    found = []
    builds = [
        f"{r['size']} articles x {r['entries_per_feed']} entries: {r['build_mb']} MB"
        for r in rows
        if r["stage"] == "feeds"
    ]
    if len(builds) > 1:
        found.append(f"feed build memory (tracemalloc peak): {'; '.join(builds)}")
    for stage, small, large in (
        ("outbox", 10_000, 100_000),
        ("smtp", 10_000, 100_000),
        ("queue", 100_000, 1_000_000),
        ("queue-pg", 100_000, 1_000_000),
    ):
        peaks = {r["size"]: float(str(r["peak_rss_mb"])) for r in rows if r["stage"] == stage}
        if small in peaks and large in peaks:
            growth = peaks[large] / peaks[small]
            verdict = "met" if growth <= 1.2 else "MISSED"
            found.append(
                f"{stage} peak RSS, {large:,} vs {small:,} subscribers: {peaks[large]} / "
                f"{peaks[small]} MB = {growth:.2f}x (target <= 1.2x: {verdict})"
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="add the large sizes")
    parser.add_argument("--only", nargs="*", help="stage modules to run, e.g. stage_feeds")
    parser.add_argument("--profile", action="store_true", help="cProfile of ours, on stderr")
    args = parser.parse_args()
    jobs = [job for job in JOBS if args.big or not job.big]
    if args.only:
        jobs = [job for job in jobs if job.module in args.only]
    rows: list[dict[str, object]] = []
    start = time.perf_counter()
    print(f"{len(jobs)} benchmarks, each in its own process:", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="syndicate-bench-") as cache:
        for job in jobs:
            rows += run(job, Path(cache), rows, args.profile)
    minutes = (time.perf_counter() - start) / 60
    print(table(rows))
    for line in across(rows):
        print(line)
    print(f"{os.cpu_count()} cores; {minutes:.1f} minutes; medians of 3 runs")
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"rows written to {RESULTS}")


if __name__ == "__main__":
    main()
