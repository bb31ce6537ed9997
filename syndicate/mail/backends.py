"""Where messages go: one small interface that each backend (outbox.py, smtp.py) keeps.

A backend opens connections; a connection delivers one message at a time and says
how it went by raising: `TemporaryFailure` (try again later: a 4xx reply, a dropped
connection), `PermanentFailure` (a 5xx reply to the address: never try it again) or
`BackendUnavailable` (the server will not take mail from us at all). A backend whose
messages are files (`BatchBackend`, the outbox) also takes them a batch at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class TemporaryFailure(Exception):
    def __init__(self, detail: str, *, reconnect: bool = False) -> None:
        super().__init__(detail)
        self.reconnect = reconnect  # the connection is gone: open a new one first


class PermanentFailure(Exception):
    """This recipient's server refused this address for good (a 5xx to RCPT TO)."""

    def __init__(self, detail: str, *, suppress: bool = True) -> None:
        super().__init__(detail)
        self.suppress = suppress  # False: the message was refused, not the address


class BackendUnavailable(Exception):
    """Nothing can be sent now, to anyone: a login refused, a server that refuses the
    session or the sender. The run stops; every send stays queued; nobody is blamed."""


class Connection(Protocol):
    async def deliver(self, sender: str, recipient: str, message: bytes, key: str) -> str:
        """Hand over one message; `key` names it uniquely (edition and subscriber).
        Returns what the other side said."""
        ...

    async def close(self) -> None: ...


class Backend(Protocol):
    name: str
    connections: int  # how many to open at once
    rate: float  # messages a second over all of them; 0: no limit

    async def connect(self) -> Connection: ...


# (sender, recipient, message, key), taken one by one
Batch = Iterable[tuple[str, str, bytes, str]]
Delivered = str | TemporaryFailure  # what each message of a batch came to


@runtime_checkable
class BatchBackend(Protocol):
    """A backend whose messages are files, proof of their own delivery, handed over a
    batch at a time in two steps: `stage` writes them where no reader looks and starts
    making them durable; `publish` waits for that and makes them visible, each once.
    Between the two the walk can stage the next batch, so that writing one batch
    overlaps the disk's syncing of the one before."""

    name: str
    connections: int
    rate: float
    batch: int  # messages handed over at once

    async def connect(self) -> Connection: ...

    async def stage(self, messages: Batch) -> Staged: ...

    async def publish(self, staged: Staged) -> list[Delivered]: ...

    def discard(self, staged: Staged) -> None: ...


@dataclass
class Staged:
    """A batch written to `tmp/`, its files being fsynced."""

    done: list[Delivered]  # each message's outcome so far ("" while staged)
    files: dict[int, tuple[int, str]]  # place in `done`: open descriptor, file name
    synced: asyncio.Future[list[dict[int, OSError]]] | None  # the places that failed
