"""Worker processes: batches come back in order, run here when small, and a worker that
dies is one clear error."""

from __future__ import annotations

import gc
import os
import signal
from functools import partial

import pytest

from syndicate._util.workers import Workers, WorkersBroken, job_count


def _squares(batch: list[int]) -> list[tuple[int, int]]:
    return [(number * number, os.getpid()) for number in batch]


def _fails_on(bad: int, batch: list[int]) -> list[int]:
    if bad in batch:
        raise ValueError(f"bad item {bad}")
    return batch


def _interrupt_handler(batch: list[int]) -> list[bool]:
    return [signal.getsignal(signal.SIGINT) == signal.SIG_IGN for _ in batch]


def _frozen(batch: list[int]) -> list[int]:
    return [gc.get_freeze_count() for _ in batch]


def _dies(batch: list[int]) -> list[int]:
    os._exit(3)


def test_batches_come_back_in_order_from_other_processes() -> None:
    with Workers(2, worth_starting=1) as workers:
        results = [r for batch in workers.batches(_squares, list(range(500))) for r in batch]
    assert [square for square, _ in results] == [n * n for n in range(500)]
    assert os.getpid() not in {pid for _, pid in results}


def test_small_work_and_one_job_run_in_this_process() -> None:
    for workers in (Workers(2, worth_starting=1000), Workers(1, worth_starting=1)):
        with workers:
            results = [r for batch in workers.batches(_squares, list(range(50))) for r in batch]
        assert {pid for _, pid in results} == {os.getpid()}
        assert workers._pool is None


def test_units_decide_whether_work_is_worth_workers() -> None:
    with Workers(2, worth_starting=100) as workers:
        batches = list(workers.batches(_squares, [1, 2, 3], units=500, size=1))
    assert [square for batch in batches for square, _ in batch] == [1, 4, 9]
    assert os.getpid() not in {pid for batch in batches for _, pid in batch}


def test_an_error_in_a_worker_is_raised_here_as_it_was() -> None:
    with Workers(2, worth_starting=1) as workers, pytest.raises(ValueError, match="bad item 77"):
        list(workers.batches(partial(_fails_on, 77), list(range(200)), size=10))


def test_a_worker_that_dies_is_one_clear_error() -> None:
    with Workers(2, worth_starting=1) as workers, pytest.raises(WorkersBroken, match="--jobs 1"):
        list(workers.batches(_dies, list(range(20))))


def test_zero_jobs_is_one_per_core() -> None:
    assert job_count(0) == len(os.sched_getaffinity(0))
    assert Workers(0).jobs == job_count(0) and Workers(3).jobs == 3


def test_once_the_workers_run_smaller_work_goes_to_them_too() -> None:
    with Workers(2, worth_starting=1000) as workers:
        list(workers.batches(_squares, [1], units=1000))
        handed = [pid for batch in workers.batches(_squares, list(range(150))) for _, pid in batch]
        kept = [pid for batch in workers.batches(_squares, list(range(50))) for _, pid in batch]
    assert os.getpid() not in handed and set(kept) == {os.getpid()}


def test_ctrl_c_is_left_to_the_command_not_its_workers() -> None:
    # A terminal's Ctrl-C reaches the whole process group: only the command answers it.
    with Workers(2, worth_starting=1) as workers:
        ignored = [i for batch in workers.batches(_interrupt_handler, [1, 2]) for i in batch]
    assert ignored == [True, True]
    assert signal.getsignal(signal.SIGINT) != signal.SIG_IGN


def test_what_the_server_imported_is_kept_from_the_collector() -> None:
    # Its full passes would write to every object the worker shares with the server.
    with Workers(2, worth_starting=1, preload=["syndicate.site.loaders"]) as workers:
        frozen = [count for batch in workers.batches(_frozen, [1, 2]) for count in batch]
    assert min(frozen) > 10_000  # the modules' functions, classes and tables
