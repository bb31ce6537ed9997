"""Where messages go: one small interface, and the outbox backend (a Maildir).

A backend opens connections; a connection delivers one message at a time and says
how it went by raising: `TemporaryFailure` (try again later: a 4xx reply, a dropped
connection), `PermanentFailure` (a 5xx reply to the address: never try it again) or
`BackendUnavailable` (the server will not take mail from us at all).
"""

from __future__ import annotations

import mailbox
import os
import re
import socket
from pathlib import Path
from typing import Protocol


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

    async def connect(self) -> Connection: ...


class Outbox:
    """A Maildir under `outbox/`: one file per message, in `new/`.

    Files are written by Maildir's rules (into `tmp/`, then linked into `new/`), and
    named after the send: a message already in `new/` or `cur/` is not written twice,
    so a resumed run never duplicates one.
    """

    name = "outbox"
    connections = 1

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        mailbox.Maildir(folder, create=True)  # new/, cur/, tmp/
        self.host = re.sub(r"[/:\s]", "_", socket.gethostname()) or "localhost"
        # What a mail client has moved to cur/ ("<name>:2,<flags>"), read once: a send
        # this run writes is marked sent before anything can move it, so only those
        # of earlier runs can be there.
        self.read = {name.partition(":")[0] for name in os.listdir(folder / "cur")}

    async def connect(self) -> Outbox:
        return self

    async def deliver(self, sender: str, recipient: str, message: bytes, key: str) -> str:
        name = f"{re.sub(r'[^A-Za-z0-9._-]', '_', key)}.{self.host}"
        new = self.folder / "new" / name
        if name in self.read or new.exists():
            return "already in the outbox"
        temporary = self.folder / "tmp" / name
        try:
            with open(temporary, "wb") as file:
                file.write(message)
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, new)  # fails if it is there: never two copies
        except FileExistsError:
            return "already in the outbox"
        except OSError as exc:
            raise TemporaryFailure(f"cannot write to the outbox: {exc}") from None
        finally:
            temporary.unlink(missing_ok=True)
        return f"written to {new.relative_to(self.folder.parent)}"

    async def close(self) -> None:
        return None
