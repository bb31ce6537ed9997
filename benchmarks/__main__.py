"""`make bench`: each stage against the bare library floor, one table.

Stages so far: `load` (load + normalise) and `digest-messages` (a subscriber's
message filled into bytes encoded once); the others arrive with issue 9.
Timings are medians of 3 runs; ratio = our rate / floor rate.
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


def row(stage: str, size: int, seconds: float, floor_seconds: float) -> dict[str, object]:
    """One line of the results: ratio is our rate over the floor's (1.0: as fast)."""
    return {
        "stage": stage,
        "size": size,
        "seconds": round(seconds, 3),
        "rate": round(size / seconds, 1),
        "floor_rate": round(size / floor_seconds, 1),
        "ratio": round(floor_seconds / seconds, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


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
    return row("load", size, ours, floor)


def bench_digest_messages(size: int) -> dict[str, object]:
    """Per-subscriber messages of a 30-story edition.

    Floor: joining the same pre-encoded chunks with each subscriber's values, already
    encoded (the least work possible). The email package building each message
    from scratch is reported too, as `naive_rate`.
    """
    from datetime import UTC, datetime

    from syndicate.digests import build_message, make_edition
    from syndicate.digests.messages import MessageTemplate, Recipient
    from syndicate.editions import edition_headers, renderer_for
    from syndicate.pipeline import load_site

    with tempfile.TemporaryDirectory() as folder:
        root = write_site(Path(folder), 30)
        site = load_site(root, {})
    edition = make_edition(
        list(site.articles), list(site.sections), "bench", datetime(2026, 11, 25, tzinfo=UTC)
    )
    variant = renderer_for(site.config).render(edition, None)
    headers = edition_headers(site.config, edition)
    template = MessageTemplate.prepare(variant, headers)
    readers = [
        Recipient(
            f"reader{n}@example.com",
            f"Reader {n}",
            f"https://bench.example/unsubscribe/{n:08d}",
            f"mailto:u@bench.example?subject={n}",
        )
        for n in range(size)
    ]
    values = [[b"x" * 40] * len(template.slots) for _ in range(size)]

    def ours() -> None:
        for reader in readers:
            template.fill(reader)

    def floor() -> None:
        for filled in values:
            parts = [template.chunks[0]]
            for value, chunk in zip(filled, template.chunks[1:], strict=True):
                parts += [value, chunk]
            b"".join(parts)

    seconds = median_seconds(ours)
    floor_seconds = median_seconds(floor)
    naive = median_seconds(lambda: [build_message(variant, headers, r) for r in readers[:200]])
    return row("digest-messages", size, seconds, floor_seconds) | {
        "naive_rate": round(200 / naive, 1),
        "message_bytes": len(template.fill(readers[0])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="add the large sizes")
    args = parser.parse_args()
    sizes = [1_000, 10_000] + ([100_000] if args.big else [])
    rows = [bench_load(size) for size in sizes]
    rows += [bench_digest_messages(n) for n in ([10_000, 100_000] if args.big else [10_000])]
    header = f"{'stage':<10}{'size':>8}{'seconds':>10}{'rate/s':>10}{'floor/s':>10}"
    header += f"{'ratio':>8}{'RSS MB':>9}"
    print(header)
    for row in rows:
        print(
            f"{row['stage']:<10}{row['size']:>8}{row['seconds']:>10}{row['rate']:>10}"
            f"{row['floor_rate']:>10}{row['ratio']:>8}{row['peak_rss_mb']:>9}"
        )
    for row in rows:
        if "naive_rate" in row:
            print(
                f"  {row['stage']} {row['size']}: building each {row['message_bytes']}-byte "
                f"message with the email package instead: {row['naive_rate']}/s"
            )
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"rows written to {RESULTS}")


if __name__ == "__main__":
    main()
