"""One build or publish at a time per site: they share the staging folder and feeds/
on this machine, and the state store on every machine that shares it.

On one machine the lock is the operating system's (flock) on `.syndicate/publish.lock`;
with a PostgreSQL store, also a session-level advisory lock in that database, so that a
publish on another machine waits or is refused too. Both go away with the process (or
its connection) that held them: a killed run never leaves the site locked.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from syndicate._store.address import StoreAddress
from syndicate._store.dialect import (
    PUBLISH_LOCK,
    WORKER_LOCK_SPACE,
    PostgresSql,
    connect_postgres,
    translated,
)
from syndicate.errors import SiteError


@contextmanager
def site_lock(
    path: Path, store: StoreAddress | None = None, *, wait: bool = False
) -> Iterator[None]:
    """Hold the site's lock for a build or publish (waiting for it with `wait`), or
    fail at once, saying who holds it, if another run does."""
    with _file_lock(path, wait=wait):
        if store is None or store.url is None:
            yield
            return
        with _store_lock(store, store.url, wait=wait):
            yield


@contextmanager
def _file_lock(path: Path, *, wait: bool) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise SiteError(
                "another syndicate build or publish is running on this site; try again "
                "later, or pass --wait",
                file=path,
            ) from None
        yield
    finally:
        os.close(descriptor)


@contextmanager
def _store_lock(store: StoreAddress, url: str, *, wait: bool) -> Iterator[None]:
    me = f"syndicate publish on {socket.gethostname()} pid {os.getpid()}"
    db = connect_postgres(url, store.setting, store.shown(), me)
    try:
        try:
            if wait:
                db.execute("SELECT pg_advisory_lock(?)", (PUBLISH_LOCK,))
            elif not db.execute("SELECT pg_try_advisory_lock(?)", (PUBLISH_LOCK,)).fetchone()[0]:
                raise SiteError(
                    f"another syndicate build or publish holds this site's store "
                    f"({_holder(db)}); try again later, or pass --wait",
                    file=store.shown(),
                )
        except SiteError:
            raise
        except Exception as exc:
            error = translated(exc, store.shown())
            if error is None:
                raise
            raise error from None
        yield
    finally:
        db.close()  # the session ends: its advisory lock goes with it


def _holder(db: PostgresSql) -> str:
    """Who holds the publish lock, as its connection named itself."""
    row = db.execute(
        "SELECT a.application_name, a.client_addr::text, a.backend_start::text"
        " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted"
        " AND l.classid::bigint = ? AND l.objid::bigint = ?",
        (PUBLISH_LOCK >> 32, PUBLISH_LOCK & 0xFFFF_FFFF),
    ).fetchone()
    if row is None or not row[0]:
        return "a session that does not say who it is"
    name, address, since = row
    return f"{name}, from {address or 'a local socket'}, since {since}"


@contextmanager
def worker_lock(store: StoreAddress, owner: str, folder: Path) -> Iterator[bool]:
    """Whether this process is the only dispatch worker running under the id `owner`
    (held until the context ends). Only that one may take back the sends its id held
    in an earlier run that was killed; another process under the same id (a dispatch
    started while a publish sends, two dispatches on one host) must work as a worker
    of its own. On one machine the lock is a file's; with PostgreSQL, an advisory lock
    in a namespace of its own, keyed on the id."""
    name = hashlib.sha256(owner.encode("utf-8")).hexdigest()[:16]
    descriptor = None
    db = None
    try:
        if store.url is None:
            folder.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(folder / f"worker-{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
            except BlockingIOError:
                held = False
        else:
            me = f"syndicate dispatch on {socket.gethostname()} pid {os.getpid()}"
            db = connect_postgres(store.url, store.setting, store.shown(), me)
            key = int(name[:8], 16) & 0x7FFF_FFFF
            held = bool(
                db.execute(
                    "SELECT pg_try_advisory_lock(?, ?)", (WORKER_LOCK_SPACE, key)
                ).fetchone()[0]
            )
        yield held
    finally:
        if descriptor is not None:
            os.close(descriptor)
        if db is not None:
            db.close()
