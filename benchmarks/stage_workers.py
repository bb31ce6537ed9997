"""dispatch-workers: one edition of N messages sent by 1, 2 and 4 `syndicate dispatch`
processes at once, each with a copy of the site folder of its own, sharing a PostgreSQL
store (a server of the benchmark's own, as the tests start one), to an SMTP sink that
waits DELAY seconds before each reply, as a slow relay does: with 4 connections a
worker, the sink is not the limit, the workers are. Then one worker on the default
SQLite store, the same way.

Seconds are from the sink's first accepted message to its last: the sending, without
the processes' start-up (about 1.3 s of CPU each, which 4 processes starting at once on
2 cores would add to the time of 4 and not of 1); the wall time from starting them to
the last one's exit is in `wall`. Rows:
- dispatch-workers: 4 workers' rate (the most of --workers); floor: 1 worker's; ratio
  4 / 1 (target >= 3.0).
- dispatch-pg: 1 worker on PostgreSQL; floor: 1 worker on SQLite (target >= 0.9).
Peak RSS is the largest worker's (ru_maxrss of the children).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ENV, emit, log, parser, row, site_copy
from benchmarks.sites import add_subscribers
from syndicate.api import load_site
from syndicate.digests.plan import plan_edition
from syndicate.digests.publish import commit_edition
from syndicate.paths import SitePaths
from tests.postgres import PostgresServer, binaries

SITE_ARTICLES = 300
CONNECTIONS = 4
DELAY = 0.08  # with 4 connections a worker can send 50 a second at most: 2 cores keep up with 4
WORKERS = (1, 2, 4)


def config(port: int) -> str:
    return (
        f'\n[dispatch]\nbackend = "smtp"\nconnections = {CONNECTIONS}\n'
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
    )


def queue(root: Path, size: int, environ: dict[str, str]) -> None:
    """Subscribers and an edition with all their sends queued, in the store `environ` names."""
    add_subscribers(root, size, environ=environ)
    site = load_site(root, environ)
    prepared = plan_edition(site.config, site.articles, site.sections, now=site.moment)
    assert prepared is not None and prepared.sends is not None
    commit_edition(site.config, prepared)


def dispatch(
    folders: list[Path], environ: dict[str, str], times: Path, size: int
) -> tuple[float, float]:
    """Every folder's worker started at once: seconds from the sink's first message to
    its last, and from the start to the last worker's exit."""
    times.write_text("")
    command = [sys.executable, "-m", "syndicate", "dispatch", "--quiet"]
    start = time.perf_counter()
    workers = [
        subprocess.Popen([*command, str(folder)], env=os.environ | environ) for folder in folders
    ]
    codes = [worker.wait() for worker in workers]
    wall = time.perf_counter() - start
    if any(codes):
        raise SystemExit(f"a dispatch worker failed: exit codes {codes}")
    moments = [float(line) for line in times.read_text().split()]
    if len(moments) != size:
        raise SystemExit(f"the sink took {len(moments)} messages of {size}")
    return max(moments) - min(moments), wall


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--delay", type=float, default=DELAY, help="the sink's wait a message")
    arguments.add_argument("--workers", type=int, nargs="+", default=list(WORKERS))
    args = arguments.parse_args()
    size, runs = args.size, args.runs
    bin_dir = binaries()
    if bin_dir is None:
        raise SystemExit("dispatch-workers needs PostgreSQL (Debian's postgresql package)")
    server = PostgresServer(bin_dir)
    folder = Path(tempfile.mkdtemp(prefix="syndicate-workers-"))
    times = folder / "times"
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.smtp_sink",
            "--delay",
            str(args.delay),
            "--times",
            str(times),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline().split()[1])
        emit(*measure(folder, server, port, size, runs, times, args.workers, args.delay))
    finally:
        sink.terminate()
        sink.wait()
        server.close()
        shutil.rmtree(folder, ignore_errors=True)


def measure(
    folder: Path,
    server: PostgresServer,
    port: int,
    size: int,
    runs: int,
    times: Path,
    counts: list[int],
    delay: float,
) -> list[dict[str, object]]:
    root = site_copy(SITE_ARTICLES, folder / "pg", config(port))
    template = server.database()
    queue(root, size, ENV | {"SYNDICATE_DATABASE_URL": template})
    copies = [Path(shutil.copytree(root, folder / f"worker-{n}")) for n in range(max(counts))]
    lite = site_copy(SITE_ARTICLES, folder / "sqlite", config(port))
    queue(lite, size, ENV)
    state = SitePaths(lite).state_db
    pristine = folder / "state.db.queued"
    shutil.copy2(state, pristine)
    seconds: dict[str, list[float]] = {}
    walls: dict[str, list[float]] = {}
    log(f"dispatch-workers {size}: {counts} workers on PostgreSQL, 1 on SQLite, in turn")
    for run in range(runs):
        for count in counts:
            name = f"r{run}w{count}"
            server.admin(f"CREATE DATABASE {name} TEMPLATE {template.rsplit('/', 1)[1]}")
            url = server.url(name)
            took, wall = dispatch(
                copies[:count], ENV | {"SYNDICATE_DATABASE_URL": url}, times, size
            )
            seconds.setdefault(f"pg{count}", []).append(took)
            walls.setdefault(f"pg{count}", []).append(wall)
            server.admin(f"DROP DATABASE {name}")
        for suffix in ("-wal", "-shm"):
            Path(f"{state}{suffix}").unlink(missing_ok=True)
        shutil.copy2(pristine, state)
        took, wall = dispatch([lite], ENV, times, size)
        seconds.setdefault("sqlite", []).append(took)
        walls.setdefault("sqlite", []).append(wall)
    median = {key: statistics.median(values) for key, values in seconds.items()}
    wall_rates = {key: round(size / statistics.median(v), 1) for key, v in walls.items()}
    peak = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    rates = {key: round(size / value, 1) for key, value in median.items()}
    most = max(counts)
    workers = row("dispatch-workers", size, median[f"pg{most}"], median["pg1"], peak)
    engines = row("dispatch-pg", size, median["pg1"], median["sqlite"], peak)
    extra = {"rates": rates, "wall_rates": wall_rates, "delay": delay, "connections": CONNECTIONS}
    return [workers | {"target": 3.0} | extra, engines | {"target": 0.9} | extra]


if __name__ == "__main__":
    main()
