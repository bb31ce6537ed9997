"""queue: N subscribers imported into the state store (as `subscribers import` does, a
stream of rows) and an edition planned and committed with a send queued for each (as
`publish --no-send` does), in a process of its own: seconds and peak RSS, on SQLite or,
with `--engine postgresql`, on a PostgreSQL server of the benchmark's own.

Target: memory flat in subscribers (1M at most 1.2x of 100k: __main__ compares the
rows). No floor: ratio is 1.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.common import ENV, emit, high_water_mb, log, parser, row, site_copy
from syndicate._store.store import StateStore
from syndicate._store.subscribers import SubscriberRow
from syndicate.api import load_site
from syndicate.config import load_config
from syndicate.digests.plan import plan_edition
from syndicate.digests.publish import commit_edition
from tests.postgres import PostgresServer, binaries

SITE_ARTICLES = 300


def readers(count: int) -> Iterator[SubscriberRow]:
    sections = (("World",), ("Business", "Culture"), ())
    for n in range(count):
        yield SubscriberRow(f"reader{n}@example.com", f"Reader {n}", sections[n % 3])


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    args = arguments.parse_args()
    server = None
    environ = dict(ENV)
    if args.engine == "postgresql":
        bin_dir = binaries()
        if bin_dir is None:
            raise SystemExit("queue on PostgreSQL needs PostgreSQL (Debian's postgresql)")
        server = PostgresServer(bin_dir)
        environ["SYNDICATE_DATABASE_URL"] = server.database()
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = site_copy(SITE_ARTICLES, Path(folder))
            log(f"queue {args.size} on {args.engine}")
            start = time.perf_counter()
            with StateStore(load_config(root, environ).store) as store:
                store.subscribers.upsert(readers(args.size))
            imported = time.perf_counter() - start
            site = load_site(root, environ)
            prepared = plan_edition(site.config, site.articles, site.sections, now=site.moment)
            assert prepared is not None and prepared.sends is not None
            commit_edition(site.config, prepared)
            seconds = time.perf_counter() - start
            peak = round(high_water_mb(), 1)
    finally:
        if server is not None:
            server.close()
    stage = "queue-pg" if args.engine == "postgresql" else "queue"
    emit(row(stage, args.size, seconds, seconds, peak) | {"import_seconds": round(imported, 2)})


if __name__ == "__main__":
    main()
