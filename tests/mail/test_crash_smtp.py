"""SMTP sends killed with SIGKILL and resumed: everyone once, but for the messages in flight."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.mail.crash_harness import (
    CONNECTIONS,
    DELAY,
    SUBSCRIBERS,
    TIMEOUT,
    Delivered,
    Kill,
    check_finished,
    crash_and_resume,
    crash_site,
)

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
def mail_server(folder: Path) -> Iterator[MailServer]:
    log = folder / "received.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(log), str(DELAY)],
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


# -- SMTP ---------------------------------------------------------------------------------

SMTP_KILLS = {
    # After the edition and its sends are recorded, before any is handed over.
    "queued": ([Kill("publish", ("queued", 0))], "publish"),
    # As the edition's files appear: just before its record and queued sends are
    # committed (or just after): either way the next publish sends it once.
    "commit": ([Kill("publish", ("files", 0))], "publish"),
    "first message": ([Kill("publish", ("received", 1))], "dispatch"),
    "70%": ([Kill("publish", ("received", SUBSCRIBERS * 7 // 10))], "publish"),
    # A run killed at 30%, and the run resuming it killed too.
    "30% then 60%": (
        [
            Kill("publish", ("received", SUBSCRIBERS * 3 // 10)),
            Kill("dispatch", ("received", SUBSCRIBERS * 6 // 10)),
        ],
        "dispatch",
    ),
}


@pytest.mark.parametrize("name", list(SMTP_KILLS))
def test_smtp_send_killed_and_resumed_sends_everyone_once_but_the_in_flight(
    tmp_path: Path, name: str
) -> None:
    kills, resume_with = SMTP_KILLS[name]
    with mail_server(tmp_path) as server:
        root = crash_site(tmp_path / "site", "smtp", server.port)
        outcome = crash_and_resume(root, kills, resume_with, server.count, server.delivered)
        report = check_finished(root, outcome, f"smtp, kill at {name}", CONNECTIONS)
    duplicates = outcome.duplicates()
    in_doubt = frozenset().union(*(at.in_doubt for at in outcome.kills))
    assert set(duplicates) <= in_doubt, (
        f"{report}: duplicates that were not in flight at a kill: "
        f"{sorted(set(duplicates) - in_doubt)}"
    )
    assert sum(duplicates.values()) <= CONNECTIONS * len(kills), report
    # And never more than the rows the kills left `sending`.
    assert sum(duplicates.values()) <= sum(len(at.in_doubt) for at in outcome.kills), report
    for kill, at in zip(kills, outcome.kills, strict=True):
        assert len(at.in_doubt) <= CONNECTIONS, f"{report}: {at.describe()}"
        if kill.silent:  # nothing went out; the edition is recorded whole, or not at all
            assert at.received == 0, report
            assert at.statuses == (Counter(queued=SUBSCRIBERS) if at.editions else Counter())
        if kill.point[0] == "queued":
            assert at.editions == 1, report
