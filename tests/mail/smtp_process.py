"""The test SMTP server (tests/mail/smtp_server.py's handler, with a delay) in a process
of its own, so that it outlives a client killed with SIGKILL and keeps counting: it
prints its port, logs one JSON line per accepted message (before it replies 250), and
runs until it is killed or its stdin closes."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TIMEOUT = 60.0


@dataclass(frozen=True)
class Delivered:
    recipient: str  # the envelope's (SMTP) or the To header's address (outbox)
    to: str  # the To header
    message_id: str


REPO = Path(__file__).resolve().parents[2]

# The test SMTP server (tests/mail/smtp_server.py's handler, with its delay) in a
# process of its own: it prints its port, logs one JSON line per accepted message
# (before it replies 250), and runs until it is killed or its stdin closes.
SERVER = r"""
import json, sys
from email.parser import BytesHeaderParser
from aiosmtpd.controller import Controller
from tests.mail.smtp_server import Handler, Mailbox, free_port

log = open(sys.argv[1], "a", buffering=1, encoding="utf-8")

class LoggingHandler(Handler):
    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            head = BytesHeaderParser().parsebytes(envelope.original_content or b"")
            for recipient in envelope.rcpt_tos:
                line = {"rcpt": recipient, "to": str(head["To"]),
                        "id": str(head["Message-ID"]), "peer": session.peer[1]}
                log.write(json.dumps(line) + "\n")
        return reply

port = free_port()
controller = Controller(LoggingHandler(Mailbox(), None, float(sys.argv[2])),
                        hostname="127.0.0.1", port=port, data_size_limit=50 * 1024 * 1024)
controller.start()
print(port, flush=True)
sys.stdin.read()
controller.stop()
"""


class MailServer:
    def __init__(self, port: int, log: Path) -> None:
        self.port, self.log = port, log

    def lines(self) -> list[str]:
        if not self.log.exists():
            return []
        text = self.log.read_text("utf-8")
        return text.split("\n")[:-1]  # only whole lines: the last may be half written

    def count(self) -> int:
        return len(self.lines())

    def delivered(self) -> list[Delivered]:
        return [
            Delivered(line["rcpt"], line["to"], line["id"])
            for line in map(json.loads, self.lines())
        ]


@contextmanager
def mail_server(folder: Path, delay: float) -> Iterator[MailServer]:
    log = folder / "received.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(log), str(delay)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
        assert ready, f"the SMTP server did not start in {TIMEOUT}s"
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"the SMTP server did not start (exit {process.poll()})"
        yield MailServer(int(port), log)
    finally:
        process.kill()
        process.wait(timeout=10)
        process.stdin.close()
        process.stdout.close()
