"""`make bench`: each stage against the bare library floor, one table.

So far the only stage is `load` (load + normalise); the others arrive with
their issues. Timings are medians of 3 runs; ratio = our rate / floor rate.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from benchmarks.sites import write_site
from syndicate.pipeline import load_site

RESULTS = Path(__file__).resolve().parent / "results.json"


def median_seconds(work: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def floor_load(root: Path) -> None:
    """Reading the same files and parsing their front matter with PyYAML alone."""
    for path in sorted((root / "articles").rglob("*.md")):
        _, front, _ = path.read_text("utf-8").split("---\n", 2)
        yaml.load(front, Loader=yaml.CSafeLoader)


def bench_load(size: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        root = write_site(Path(folder), size)
        load_site(root, {})  # warm the state store: later runs are republishes
        ours = median_seconds(lambda: load_site(root, {}))
        floor = median_seconds(lambda: floor_load(root))
    return {
        "stage": "load",
        "size": size,
        "seconds": round(ours, 3),
        "rate": round(size / ours, 1),
        "floor_rate": round(size / floor, 1),
        "ratio": round(floor / ours, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="add the large sizes")
    args = parser.parse_args()
    sizes = [1_000, 10_000] + ([100_000] if args.big else [])
    rows = [bench_load(size) for size in sizes]
    header = f"{'stage':<10}{'size':>8}{'seconds':>10}{'rate/s':>10}{'floor/s':>10}"
    header += f"{'ratio':>8}{'RSS MB':>9}"
    print(header)
    for row in rows:
        print(
            f"{row['stage']:<10}{row['size']:>8}{row['seconds']:>10}{row['rate']:>10}"
            f"{row['floor_rate']:>10}{row['ratio']:>8}{row['peak_rss_mb']:>9}"
        )
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"rows written to {RESULTS}")


if __name__ == "__main__":
    main()
