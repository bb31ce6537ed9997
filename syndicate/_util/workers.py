"""Worker processes for a full build: record files parsed, feed documents built and
checked, in other processes, each batch's results taken back in the order it was
asked for.

The workers are forks of a fork server (multiprocessing's "forkserver"), never of the
command itself: a command runs threads (the progress bar, the store's), and a child
forked from a process with threads can inherit a lock no thread will ever release.
The server imports the modules the workers run once (`preload`: the first pool of a
process sets them, as the server lives as long as the process), so each worker
starts in milliseconds; the pool itself is started only when a run has enough work
for it.

A worker starts by importing the command's main module again, as `__mp_main__`
(multiprocessing's rule): a script that builds without `if __name__ == "__main__":`
would build again in each worker. `starting_a_worker()` lets loading refuse that at
once (site/load.py's `refuse_a_rerun`).
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.process
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from multiprocessing.context import BaseContext
from types import TracebackType
from typing import Self, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Work is counted in units of about a millisecond on one core (a record parsed; six
# feed entries built; 4 KB of feed checked). Starting the fork server and its workers
# takes about 0.8 s (it imports what they run), so work under WORTH_STARTING stays in
# the command's own process; once they run, any work of WORTH_USING is handed over.
WORTH_STARTING = 2500
WORTH_USING = 100
MAX_JOBS = 256
UNGUARDED = (
    "a build was started by a script's top level as a worker process imported it: "
    'put the call under `if __name__ == "__main__":` (worker processes import the '
    "main module again), or pass jobs=1"
)
BROKEN = (
    "a worker process ended abruptly (killed, out of memory, or started from a script "
    'without `if __name__ == "__main__":`, which worker processes need); '
    "--jobs 1 (jobs=1) builds in one process"
)


class WorkersBroken(RuntimeError):
    """A worker process ended before its work was done (the library's face turns this
    into a WorkerError)."""


def starting_a_worker() -> bool:
    """Whether this process is a worker still importing the main module: code that runs
    now is a script's top level, run again (a worker's, not the script's, work)."""
    return bool(getattr(multiprocessing.process.current_process(), "_inheriting", False))


def cores() -> int:
    """The cores this process may run on (its affinity, where the system has one)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def job_count(jobs: int) -> int:
    """The worker processes that `jobs` asks for: 0 means one per core."""
    return cores() if jobs == 0 else jobs


class Workers:
    """A pool of `jobs` worker processes, started on first use and stopped on leaving
    the `with` block. With one job, everything runs in the calling process."""

    def __init__(
        self, jobs: int, worth_starting: int | None = None, preload: Sequence[str] = ()
    ) -> None:
        self.jobs = max(1, min(job_count(jobs), MAX_JOBS))
        self.worth_starting = WORTH_STARTING if worth_starting is None else worth_starting
        self.preload = list(preload)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def worth_it(self, units: int) -> bool:
        """Whether `units` of work are worth handing to workers (fewer once they run)."""
        least = self.worth_starting if self._pool is None else min(self.worth_starting, WORTH_USING)
        return self.jobs > 1 and units >= least

    def batches(
        self,
        work: Callable[[list[T]], R],
        items: Sequence[T],
        *,
        units: int | None = None,
        size: int | None = None,
    ) -> Iterator[R]:
        """`work` of each batch of `items` (in batches of `size`, or enough batches to
        keep every worker busy), yielded in the order of the batches.

        In workers when the items are `units` of work (one each, unless told) worth
        it, else here, batch by batch. `work` must be a module-level function (or a
        partial of one), and items and results picklable."""
        size = size or max(1, -(-len(items) // (self.jobs * 8)))
        chunks = (list(items[start : start + size]) for start in range(0, len(items), size))
        if not self.worth_it(len(items) if units is None else units):
            yield from map(work, chunks)
            return
        yield from self._ordered(work, chunks)

    def _ordered(self, work: Callable[[list[T]], R], chunks: Iterable[list[T]]) -> Iterator[R]:
        """Results in order, with at most two batches a worker in flight: results that
        come back early wait here, so the window bounds the memory they take."""
        pending = iter(chunks)
        window: deque[Future[R]] = deque()
        try:
            pool = self._started()
            window.extend(pool.submit(work, chunk) for chunk in islice(pending, self.jobs * 2))
            while window:
                result = window.popleft().result()
                for chunk in islice(pending, 1):
                    window.append(pool.submit(work, chunk))
                yield result
        except BrokenProcessPool as exc:  # from submit() too, once a worker has died
            raise WorkersBroken(f"{BROKEN} ({exc})") from None
        finally:
            for future in window:
                future.cancel()

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context: BaseContext
            if "forkserver" in multiprocessing.get_all_start_methods():
                server = multiprocessing.get_context("forkserver")
                server.set_forkserver_preload(self.preload)
                context = server
            else:  # Windows: each worker a fresh interpreter
                context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.jobs, mp_context=context, initializer=_worker_started
            )
        return self._pool


def _worker_started() -> None:
    """What a worker does first, just forked from the fork server."""
    # Ctrl-C reaches every process of the group: the command's own handles it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The modules the server imported, out of the collector's sight: its full passes
    # would write to every object, and copy the pages the worker shares with the
    # server (about a sixth of a worker's memory at 10k).
    gc.freeze()
