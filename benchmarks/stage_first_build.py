"""first-build: `syndicate publish --no-send` on an N-article site never published
(no state, no caches, no feeds/): load, normalise, build every feed, validate every
feed document (the publish gate), move them into feeds/, make the first edition.

Each run is the command in a fresh process on a fresh copy of the site, fork server
and workers started included. Ours: the default `--jobs 0` (one worker per core);
floor: the same command with `--jobs 1`, everything in one process. Ratio: the
one-process seconds over ours (2 cores: at most about 2).

Memory (`peak_rss_mb` here, unlike the other rows): the most that the command and all
its processes hold at once (proportional set size, sampled every 0.1 s: pages the
workers share with their fork server counted once), with each `--jobs`;
`memory_ratio` is ours over one process's.
Also timed: `syndicate build` alone (no validation), with each `--jobs`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import ENV, emit, log, parser, site_copy
from syndicate._util.workers import job_count

COMMAND = Path(sys.executable).with_name("syndicate")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def _pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class TreeMemory:
    """The largest sum of PSS over a process and all its descendants, sampled."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.1):
            tree, pending = [], [self.pid]
            while pending:
                pid = pending.pop()
                tree.append(pid)
                pending += _children(pid)
            self.peak = max(self.peak, sum(_pss_mb(pid) for pid in tree))

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return round(self.peak, 1)


def run_once(size: int, folder: Path, command: str, jobs: int) -> tuple[float, float]:
    """Seconds and peak tree memory of one cold run."""
    shutil.rmtree(folder / "site", ignore_errors=True)
    root = site_copy(size, folder)
    arguments = [str(COMMAND), command, str(root), "--quiet", "--jobs", str(jobs)]
    arguments += ["--no-send"] if command == "publish" else []
    start = time.perf_counter()
    process = subprocess.Popen(arguments, env=os.environ | ENV, stderr=subprocess.PIPE)
    memory = TreeMemory(process.pid)
    _, err = process.communicate()
    seconds = time.perf_counter() - start
    peak = memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"{command} --jobs {jobs} failed: {err.decode()[-2000:]}")
    return seconds, peak


def main() -> None:
    args = parser(__doc__).parse_args()
    size = args.size
    times: dict[tuple[str, int], list[float]] = {}
    peaks: dict[int, list[float]] = {0: [], 1: []}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for run in range(args.runs):
            for command in ("publish", "build"):
                for jobs in (0, 1):  # in turn, so a slow spell slows both alike
                    seconds, peak = run_once(size, folder, command, jobs)
                    times.setdefault((command, jobs), []).append(seconds)
                    if command == "publish":
                        peaks[jobs].append(peak)
                    log(f"first-build {size} run {run + 1}: {command} --jobs {jobs} {seconds:.1f}s")
    ours, one = (statistics.median(times[("publish", jobs)]) for jobs in (0, 1))
    build_ours, build_one = (statistics.median(times[("build", jobs)]) for jobs in (0, 1))
    memory_ours, memory_one = max(peaks[0]), max(peaks[1])
    emit(
        {
            "stage": "first-build",
            "size": size,
            "seconds": round(ours, 2),
            "rate": round(size / ours, 1),
            "floor_rate": round(size / one, 1),
            "ratio": round(one / ours, 3),
            "peak_rss_mb": memory_ours,
            "jobs": job_count(0),
            "seconds_jobs1": round(one, 2),
            "build_seconds": round(build_ours, 2),
            "build_seconds_jobs1": round(build_one, 2),
            "pss_mb_jobs1": memory_one,
            "memory_ratio": round(memory_ours / memory_one, 2),
            "target": None,
        }
    )


if __name__ == "__main__":
    main()
