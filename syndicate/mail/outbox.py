"""The outbox backend: a Maildir of the messages, which needs nothing to run."""

from __future__ import annotations

import asyncio
import contextlib
import mailbox
import os
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from syndicate.mail.backends import BackendUnavailable, Batch, Delivered, Staged, TemporaryFailure


class Outbox:
    """A Maildir under `outbox/`: one file per message, in `new/`.

    Files are written by Maildir's rules (into `tmp/`, fsynced, then linked into
    `new/`), and named after the send: a message already in `new/` or `cur/` is not
    written twice, so a resumed run never duplicates one. A batch's files are fsynced
    by threads at once (Mailbox.add fsyncs each file too, one after the other), which
    lets the file system share its journal commits among them; `new/` is fsynced once
    a batch, so that a message the ledger then calls sent survives a crash.
    """

    name = "outbox"
    connections = 1
    rate = 0.0  # files go as fast as the disk takes them
    batch = 64
    SYNCERS = 8  # threads fsyncing a batch's files

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        mailbox.Maildir(folder, create=True)  # new/, cur/, tmp/
        self.host = re.sub(r"[/:\s]", "_", socket.gethostname()) or "localhost"
        self.tmp, self.new = f"{folder / 'tmp'}{os.sep}", f"{folder / 'new'}{os.sep}"
        self._read: dict[str, set[str]] = {}
        self._pool: ThreadPoolExecutor | None = None

    async def connect(self) -> Outbox:
        return self

    async def deliver(self, sender: str, recipient: str, message: bytes, key: str) -> str:
        [done] = await self.publish(await self.stage([(sender, recipient, message, key)]))
        if isinstance(done, TemporaryFailure):
            raise done
        return done

    async def stage(self, messages: Batch) -> Staged:
        staged = Staged([], {}, None)
        try:
            for sender, _, message, key in messages:
                name = f"{_UNSAFE.sub('_', key)}.{self.host}"
                if name in self._read_in(_UNSAFE.sub("_", key.rpartition(".")[0])):
                    staged.done.append("already in the outbox")
                    continue
                try:
                    written = self._write(name, _return_path(sender), message)
                    staged.files[len(staged.done)] = (written, name)
                    staged.done.append("")
                except OSError as exc:
                    staged.done.append(_unwritable(exc))
        except BaseException:
            self.discard(staged)
            raise
        staged.synced = self._fsync(staged.files)
        return staged

    async def publish(self, staged: Staged) -> list[Delivered]:
        """Each file linked into `new/` once it is on disk (a link fails if the name
        is there: never two copies), then `new/` fsynced."""
        done, files = staged.done, staged.files
        try:
            for failed in await staged.synced if staged.synced is not None else []:
                for place, error in failed.items():
                    done[place] = _unwritable(error)
                    self._remove(*files.pop(place))
        except BaseException:
            self.discard(staged)
            raise
        for descriptor, _ in files.values():
            os.close(descriptor)
        linked = False
        for place, (_, name) in files.items():
            done[place] = self._link(name)
            linked = linked or isinstance(done[place], str)
        files.clear()
        if linked:
            try:
                await asyncio.get_running_loop().run_in_executor(
                    self._threads(), _fsync_folder, self.new
                )
            except OSError as exc:
                # The links may not last a crash: the batch is in doubt, left `sending`
                # for the next run, which finds each file there or writes it.
                raise BackendUnavailable(f"cannot sync the outbox: {exc}") from None
        return done

    def _read_in(self, edition: str) -> set[str]:
        """What a mail client has moved to cur/ ("<name>:2,<flags>") of `edition`, listed
        once a run: a message this run writes is marked sent before anything can move
        it, so only those of earlier runs can be there. Only this edition's: cur/ holds
        every edition ever sent."""
        found = self._read.get(edition)
        if found is None:
            prefix = f"{edition}."
            with os.scandir(self.folder / "cur") as entries:
                found = {e.name.partition(":")[0] for e in entries if e.name.startswith(prefix)}
            self._read = {edition: found}
        return found

    def discard(self, staged: Staged) -> None:
        """Staged files not to be published (the run is failing): closed and removed."""
        for descriptor, name in staged.files.values():
            self._remove(descriptor, name)
        staged.files.clear()

    def _write(self, name: str, head: bytes, message: bytes) -> int:
        path = self.tmp + name
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            done = os.writev(descriptor, [head, message])  # one call, as one write was
            view = memoryview(head + message)[done:] if done < len(head) + len(message) else b""
            while view:
                view = view[os.write(descriptor, view) :]
        except OSError:
            self._remove(descriptor, name)
            raise
        return descriptor

    def _remove(self, descriptor: int, name: str) -> None:
        os.close(descriptor)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp + name)

    def _fsync(self, files: dict[int, tuple[int, str]]) -> asyncio.Future[list[dict[int, OSError]]]:
        """Each file fsynced, SYNCERS at a time: the places in the batch that failed."""
        places = [(place, descriptor) for place, (descriptor, _) in files.items()]
        loop = asyncio.get_running_loop()
        shares = [places[n :: self.SYNCERS] for n in range(min(self.SYNCERS, len(places)))]
        pool = self._threads()
        return asyncio.gather(*(loop.run_in_executor(pool, _fsync_each, s) for s in shares))

    def _link(self, name: str) -> Delivered:
        try:
            os.link(self.tmp + name, self.new + name)
        except FileExistsError:
            return "already in the outbox"
        except OSError as exc:
            return _unwritable(exc)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmp + name)
        return f"written to {self.folder.name}/new/{name}"

    def _threads(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.SYNCERS, thread_name_prefix="outbox-fsync")
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")  # in a file name


def _return_path(sender: str) -> bytes:
    """The envelope sender, as a delivery agent writes it at the top of a delivered
    message: an outbox has no MAIL FROM, so its files keep it so."""
    return b"Return-Path: <" + sender.encode("ascii", "replace") + b">\r\n"


def _unwritable(error: OSError) -> TemporaryFailure:
    return TemporaryFailure(f"cannot write to the outbox: {error}")


def _fsync_each(files: list[tuple[int, int]]) -> dict[int, OSError]:
    failed = {}
    for place, descriptor in files:
        try:
            os.fsync(descriptor)
        except OSError as exc:
            failed[place] = exc
    return failed


def _fsync_folder(folder: str) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
