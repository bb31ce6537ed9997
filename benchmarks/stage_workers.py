"""dispatch-workers: one edition of N messages sent by 1, 2 and 4 `syndicate dispatch`
processes at once, each with a copy of the site folder of its own, sharing a PostgreSQL
store (a server of the benchmark's own, as the tests start one), to an SMTP sink that
waits DELAY seconds before each reply, as a slow relay does: with 4 connections a
worker, the sink is not the limit, the workers are. Then one worker on the default
SQLite store, the same way.

Seconds are wall time from starting the processes to the last one's exit (start-up
included). Rows:
- dispatch-workers: 4 workers' rate; floor: 1 worker's; ratio 4 / 1 (target >= 3.0).
- dispatch-pg: 1 worker on PostgreSQL; floor: 1 worker on SQLite (target >= 0.9).
Peak RSS is the largest worker's (ru_maxrss of the children).
"""

from __future__ import annotations

import os
import resource
import shutil
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
DELAY = 0.02
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


def dispatch(folders: list[Path], environ: dict[str, str], size: int) -> float:
    """Every folder's worker started at once; seconds until the last one is done."""
    command = [sys.executable, "-m", "syndicate", "dispatch", "--quiet"]
    start = time.perf_counter()
    workers = [
        subprocess.Popen([*command, str(folder)], env=os.environ | environ) for folder in folders
    ]
    codes = [worker.wait() for worker in workers]
    seconds = time.perf_counter() - start
    if any(codes):
        raise SystemExit(f"a dispatch worker failed: exit codes {codes}")
    return seconds


def main() -> None:
    arguments = parser(__doc__)
    args = arguments.parse_args()
    size, runs = args.size, args.runs
    bin_dir = binaries()
    if bin_dir is None:
        raise SystemExit("dispatch-workers needs PostgreSQL (Debian's postgresql package)")
    server = PostgresServer(bin_dir)
    sink = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.smtp_sink", "--delay", str(DELAY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline().split()[1])
        with tempfile.TemporaryDirectory() as folder:
            emit(*measure(Path(folder), server, port, size, runs))
    finally:
        sink.terminate()
        sink.wait()
        server.close()


def measure(
    folder: Path, server: PostgresServer, port: int, size: int, runs: int
) -> list[dict[str, object]]:
    root = site_copy(SITE_ARTICLES, folder / "pg", config(port))
    template = server.database()
    queue(root, size, ENV | {"SYNDICATE_DATABASE_URL": template})
    copies = [Path(shutil.copytree(root, folder / f"worker-{n}")) for n in range(max(WORKERS))]
    lite = site_copy(SITE_ARTICLES, folder / "sqlite", config(port))
    queue(lite, size, ENV)
    state = SitePaths(lite).state_db
    pristine = folder / "state.db.queued"
    shutil.copy2(state, pristine)
    seconds: dict[str, list[float]] = {}
    log(f"dispatch-workers {size}: 1, 2, 4 workers on PostgreSQL, 1 on SQLite, in turn")
    for run in range(runs):
        for count in WORKERS:
            name = f"r{run}w{count}"
            server.admin(f"CREATE DATABASE {name} TEMPLATE {template.rsplit('/', 1)[1]}")
            url = server.url(name)
            took = dispatch(copies[:count], ENV | {"SYNDICATE_DATABASE_URL": url}, size)
            seconds.setdefault(f"pg{count}", []).append(took)
            server.admin(f"DROP DATABASE {name}")
        for suffix in ("-wal", "-shm"):
            Path(f"{state}{suffix}").unlink(missing_ok=True)
        shutil.copy2(pristine, state)
        seconds.setdefault("sqlite", []).append(dispatch([lite], ENV, size))
    median = {key: sorted(values)[len(values) // 2] for key, values in seconds.items()}
    peak = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    rates = {key: round(size / value, 1) for key, value in median.items()}
    workers = row("dispatch-workers", size, median["pg4"], median["pg1"], peak)
    engines = row("dispatch-pg", size, median["pg1"], median["sqlite"], peak)
    return [
        workers | {"target": 3.0, "rates": rates, "delay": DELAY, "connections": CONNECTIONS},
        engines | {"target": 0.9, "rates": rates, "delay": DELAY, "connections": CONNECTIONS},
    ]


if __name__ == "__main__":
    main()
