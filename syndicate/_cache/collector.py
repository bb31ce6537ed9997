"""The cyclic collector and what caches read: paused while a cache is unpickled, and
kept off what was read for the rest of a run."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_runs = 0  # cache_reads_frozen blocks under way
_frozen = False  # whether objects read from a cache are out of the collector's view
_host_froze = False  # the process had frozen objects of its own: then we freeze none


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Unpickling makes some 30 objects an article, none of them garbage: the cyclic
    collector's passes over them while they are made were a third of a cache read."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _freeze_for_run()
        if enabled:
            gc.enable()


def _freeze_for_run() -> None:
    global _frozen
    with _lock:
        if _runs and not _host_froze:
            gc.freeze()
            _frozen = True


@contextlib.contextmanager
def cache_reads_frozen() -> Iterator[None]:
    """A run (a build, a publish) in which what is read from a cache is frozen
    (gc.freeze) until its end. It lives for the run and holds no cycles, yet each
    later full collection walked all of it again: a quarter of a republish.

    Outside such a run nothing is frozen. At its end everything frozen since it began
    is given back, so that a process running many (a test suite, a script) collects
    their garbage as usual; a process that froze objects of its own is left alone."""
    global _runs, _frozen, _host_froze
    with _lock:
        if _runs == 0:
            _host_froze = gc.get_freeze_count() > 0
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0 and _frozen:
                gc.unfreeze()
                _frozen = False
