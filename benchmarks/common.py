"""What every stage shares: timing, rows, memory, the sites they run on, profiling.

A stage module runs as `python -m benchmarks.stage_x --size N` and prints one JSON
row as its last line of output; `python -m benchmarks` runs each in a fresh process,
so that a row's peak RSS is that stage's own.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.sites import write_site

RUNS = 3
CACHE_VARIABLE = "SYNDICATE_BENCH_CACHE"  # where __main__ keeps the sites it generated
SECRET = "bench-secret-key-0123456789abcdef"
ENV = {"SYNDICATE_SECRET_KEY": SECRET}


def median_seconds(
    work: Callable[[], object],
    runs: int = RUNS,
    before: Callable[[], object] | None = None,
) -> float:
    """The median wall time of `work`; `before` runs ahead of each run, untimed."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


_peak_seen = 0.0  # the peak before the last reset_high_water()


Timed = Callable[[], float]


def timer(work: Callable[[], object], before: Callable[[], object] | None = None) -> Timed:
    """`work` as a function that returns its wall time; `before` runs first, untimed."""

    def timed() -> float:
        if before is not None:
            before()
        gc.collect()
        start = time.perf_counter()
        work()
        return time.perf_counter() - start

    return timed


def interleaved(contenders: dict[str, Timed], runs: int = RUNS) -> dict[str, float]:
    """The median seconds of each contender, run in turn (ours, floor, ours, floor...),
    so that a machine that slows down for a while slows them all alike."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, timed in contenders.items():
            times[name].append(timed())
    return {name: statistics.median(values) for name, values in times.items()}


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (across high-water resets).

    VmHWM, which belongs to this process's memory: ru_maxrss outlives exec, so a stage
    started from a large parent would report the parent's peak as its own."""
    try:
        own = high_water_mb()
    except (OSError, KeyError):  # no /proc: ru_maxrss is all there is
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return round(max(_peak_seen, own), 1)


def _status_kb(field: str, pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def rss_mb(pid: int | str = "self") -> float:
    return _status_kb("VmRSS", pid) / 1024


def high_water_mb(pid: int | str = "self") -> float:
    return _status_kb("VmHWM", pid) / 1024


def reset_high_water() -> bool:
    """Reset this process's peak RSS (VmHWM) to its current RSS (Linux 4.0+); the peak
    before is kept for peak_rss_mb()."""
    global _peak_seen
    _peak_seen = peak_rss_mb()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def row(
    stage: str,
    size: int,
    seconds: float,
    floor_seconds: float,
    peak: float | None = None,
    **extra: object,
) -> dict[str, object]:
    """One line of the results: rate is size per second; ratio is our rate over the
    floor's (1.0: as fast as the bare library; higher is better). `peak`: the stage's
    peak RSS, taken before the floor ran (else this process's peak now)."""
    return {
        "stage": stage,
        "size": size,
        "seconds": round(seconds, 4),
        "rate": round(size / seconds, 1),
        "floor_rate": round(size / floor_seconds, 1),
        "ratio": round(floor_seconds / seconds, 3),
        "peak_rss_mb": peak if peak is not None else peak_rss_mb(),
    } | extra


def emit(*results: dict[str, object]) -> None:
    """The rows, one JSON object a line on stdout: what __main__ reads."""
    for result in results:
        sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parser(description: str | None) -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(description=description)
    found.add_argument("--size", type=int, default=1_000)
    found.add_argument("--runs", type=int, default=RUNS)
    found.add_argument(
        "--profile", action="store_true", help="also run ours once under cProfile (stderr)"
    )
    return found


def profile(work: Callable[[], object], label: str, limit: int = 30) -> None:
    """Run `work` once under cProfile; print the top functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(15)
    log(f"--- cProfile of {label} ---\n{out.getvalue()}")


def cached_articles(size: int, **options: object) -> Path:
    """A generated site's `articles/` folder, made once per size and options and kept
    in the run's cache (or a temporary folder when a stage runs on its own)."""
    cache = os.environ.get(CACHE_VARIABLE)
    base = Path(cache) if cache else Path(tempfile.mkdtemp(prefix="syndicate-bench-"))
    label = "-".join(f"{key}{value}" for key, value in sorted(options.items()))
    source = base / f"site-{size}{'-' + label if label else ''}"
    if not (source / "articles").is_dir():
        partial = source.with_name(source.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        write_site(partial, size, **options)  # type: ignore[arg-type]
        partial.rename(source)
    return source / "articles"


def site_copy(size: int, folder: Path, config: str = "", **options: object) -> Path:
    """A site folder of `size` generated articles in `folder`: the articles are hard
    links to the cached ones (so an edit must replace a file, never write into it)."""
    articles = cached_articles(size, **options)
    root = folder / "site"
    shutil.copytree(articles, root / "articles", copy_function=os.link)
    (root / "syndicate.toml").write_text(site_config(config), "utf-8")
    return root


def site_config(extra: str = "") -> str:
    """The benchmark site's syndicate.toml: the six sections, and `extra` tables."""
    from benchmarks.sites import SECTIONS

    sections = json.dumps(list(SECTIONS))
    head = f'[site]\ntitle = "Bench"\nbase_url = "https://bench.example/"\nsections = {sections}\n'
    return head + extra


def replace_file(path: Path, text: str) -> None:
    """Write `text` as a new file over `path` (never into a hard-linked one)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)
