"""What the crash tests share: their site, kill points, and a run killed and resumed.

Crash tests of sending: a real `syndicate publish` (or `dispatch`) process is killed
with SIGKILL part-way through sending a digest, then run again until it is done.

The SMTP server runs in a process of its own, so it outlives the killed client and
keeps counting: each message it accepts is written to a log file before it replies.
SMTP cannot do better than "at most one duplicate per connection in flight at the
kill" (a message handed over whose reply never came back); the tests measure the
duplicates, hold them to that limit, and check that each duplicate was a send the
ledger had marked `sending` at the kill. The outbox backend (a Maildir) must never
duplicate, whatever it left `sending` (two batches at most). After every kill the
state store must open and pass `integrity_check`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

import pytest

from syndicate._store.store import StateStore
from tests.factories import write_site
from tests.mail.sites import SECTIONS, story, story_file
from tests.mail.smtp_process import Delivered

CONNECTIONS = 4
SUBSCRIBERS = 300
LEFT = 3  # unsubscribed rows in subscribers.csv: they must get nothing
DELAY = 0.008  # seconds the server takes over each message: a send lasts a second or two
POLL = 0.001
TIMEOUT = 60.0  # for any one wait: generous for a slow CI machine, and it fails clearly
SECRET = "crash-test-signing-key"


# -- the site, the server, the command ----------------------------------------------------


def reader(number: int) -> str:
    return f"reader{number:03d}@example.com"


EXPECTED = frozenset(reader(n) for n in range(SUBSCRIBERS))


def crash_site(root: Path, backend: str, port: int = 25) -> Path:
    """Six stories in two sections and 300 active subscribers (all sections, one or
    both of them), plus a few who left; sent through `backend`."""
    files = {story_file(s, n): story(s, n) for s in SECTIONS for n in range(1, 4)}
    config = (
        '[site]\nbase_url = "https://news.example.com/"\n'
        f"sections = {json.dumps(list(SECTIONS))}\n\n"
        f'[dispatch]\nbackend = "{backend}"\nconnections = {CONNECTIONS}\n\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
    )
    write_site(root, files, config)
    choices = ["", "World", "Business", "World;Business"]
    rows = ["email,name,sections,status"]
    rows += [f"{reader(n)},Reader {n},{choices[n % 4]},active" for n in range(SUBSCRIBERS)]
    rows += [f"gone{n}@example.com,Gone {n},,unsubscribed" for n in range(LEFT)]
    (root / "subscribers.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return root


@contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts connections (into the backlog) and never says a word: a run
    sent there queues its sends, then waits for a greeting that never comes."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(2 * CONNECTIONS)
        yield int(listener.getsockname()[1])


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env["SYNDICATE_SECRET_KEY"] = SECRET
    env.update(extra)
    return env


def command(name: str, root: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "syndicate", name, str(root), *options]


# -- kill points --------------------------------------------------------------------------


@dataclass(frozen=True)
class Kill:
    """Run `command` and SIGKILL it when `point` is reached: ("received", n) once n
    messages have arrived in all, ("queued", 0) once the edition's sends are in the
    ledger, ("files", 0) once the edition's files appear (its record comes next)."""

    command: str
    point: tuple[str, int]

    @property
    def silent(self) -> bool:  # sent to a server that never answers: nothing goes out
        return self.point[0] != "received"


@dataclass
class AtKill:
    """What a kill left: its timing, the ledger, the messages in doubt."""

    label: str
    elapsed: float  # from the start of the run to the kill
    received: int  # messages the server had when the run was dead
    editions: int
    statuses: Counter[str]
    in_doubt: frozenset[str]  # rows left `sending`

    def describe(self) -> str:
        return (
            f"{self.label} at {self.elapsed:.2f}s: {self.received} received, "
            f"{self.editions} edition(s) recorded, ledger {dict(sorted(self.statuses.items()))}"
        )


def send_rows(db: Path) -> int:
    """Rows in the send ledger, read without creating or migrating anything."""
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as reader:
            return int(reader.execute("SELECT COUNT(*) FROM send").fetchone()[0])
    except sqlite3.Error:  # not there or not migrated yet
        return 0


def edition_files(root: Path) -> bool:
    digests = root / "digests"
    return digests.is_dir() and any(
        p.parent.name != "preview" for p in digests.glob("*/index.html")
    )


def inspect_store(root: Path) -> tuple[int, Counter[str], frozenset[str]]:
    """Open the store as the product does (recovering its WAL), check its integrity:
    the editions recorded, the ledger's statuses and the addresses left `sending`."""
    with StateStore(root / ".syndicate" / "state.db") as store:
        db = store.db
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        editions = int(db.execute("SELECT COUNT(*) FROM edition").fetchone()[0])
        statuses = Counter(
            {s: n for s, n in db.execute("SELECT status, COUNT(*) FROM send GROUP BY status")}
        )
        doubt = db.execute(
            "SELECT b.email FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
            " WHERE s.status = 'sending'"
        )
        return editions, statuses, frozenset(row[0] for row in doubt)


def ledger(root: Path) -> dict[str, str]:
    with StateStore(root / ".syndicate" / "state.db") as store:
        rows = store.db.execute(
            "SELECT b.email, s.status FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
        )
        return dict(rows)


def run_and_kill(
    root: Path,
    kill: Kill,
    env: dict[str, str],
    received: Callable[[], int],
    label: str,
) -> AtKill:
    kind, target = kill.point
    reached: Callable[[], bool]
    if kind == "received":
        reached = lambda: received() >= target  # noqa: E731
    elif kind == "queued":
        reached = lambda: send_rows(root / ".syndicate" / "state.db") > 0  # noqa: E731
    elif kind == "files":
        reached = lambda: edition_files(root)  # noqa: E731
    else:
        raise AssertionError(f"unknown kill point {kill.point}")
    errors = root.parent / f"stderr-{label.replace(' ', '_')}.txt"
    with open(errors, "wb") as stderr:
        started = time.monotonic()
        process = subprocess.Popen(
            command(kill.command, root, "--quiet"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            while not reached():
                if process.poll() is not None:
                    pytest.fail(
                        f"{label}: the run ended (exit {process.returncode}) before the kill "
                        f"point {kill.point}, {received()} received; stderr: "
                        f"{errors.read_text('utf-8', 'replace')[-2000:]}"
                    )
                if time.monotonic() - started > TIMEOUT:
                    pytest.fail(f"{label}: kill point {kill.point} not reached in {TIMEOUT}s")
                time.sleep(POLL)
            os.kill(process.pid, signal.SIGKILL)  # not reaped yet: still our child
            elapsed = time.monotonic() - started
            process.wait(timeout=TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == -signal.SIGKILL, (
        f"{label}: the run ended by itself (exit {process.returncode}) before the kill"
    )
    # The state store after a SIGKILL: it opens, it is whole, its ledger is final.
    editions, statuses, in_doubt = inspect_store(root)
    time.sleep(5 * DELAY)  # messages the dead run had handed over are taken in
    return AtKill(label, elapsed, received(), editions, statuses, in_doubt)


def check_consistent(at: AtKill, ledger_now: dict[str, str], delivered: list[Delivered]) -> None:
    """Right after a kill: what arrived was marked `sending` before it was handed
    over, and what the ledger calls sent did arrive."""
    arrived = {d.recipient for d in delivered}
    early = sorted(e for e in arrived if ledger_now.get(e) not in ("sent", "sending"))
    assert not early, f"{at.describe()}: arrived but never marked sending: {early[:5]}"
    lost = sorted(e for e, s in ledger_now.items() if s == "sent" and e not in arrived)
    assert not lost, f"{at.describe()}: marked sent, never arrived: {lost[:5]}"


def resume(root: Path, name: str, env: dict[str, str]) -> tuple[list[dict[str, object]], float]:
    """Run `name` again until it is done (exit 0): each run's JSON, and the time taken."""
    reports: list[dict[str, object]] = []
    started = time.monotonic()
    for _ in range(3):
        done = subprocess.run(
            command(name, root, "--json", "--quiet"),
            env=env,
            capture_output=True,
            timeout=TIMEOUT * 2,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr.decode("utf-8", "replace")[-2000:]
        reports.append(json.loads(done.stdout))
        if done.returncode == 0:
            return reports, time.monotonic() - started
    pytest.fail(f"`syndicate {name}` still not done after 3 runs: {reports}")


def dispatch_report(name: str, report: dict[str, object]) -> dict[str, object]:
    if name == "publish":
        sending = report["dispatch"]
        assert isinstance(sending, dict)
        return sending
    return report


def resent_in_doubt(name: str, report: dict[str, object]) -> int:
    editions = dispatch_report(name, report)["editions"]
    assert isinstance(editions, list)
    return sum(int(edition["resent_in_doubt"]) for edition in editions)


@dataclass
class Outcome:
    kills: list[AtKill] = field(default_factory=list)
    resumed_in: float = 0.0
    resent: int = 0
    delivered: list[Delivered] = field(default_factory=list)

    def duplicates(self) -> Counter[str]:
        counts = Counter(d.recipient for d in self.delivered)
        return Counter({e: n - 1 for e, n in counts.items() if n > 1})

    def describe(self, backend: str, per_kill: int) -> str:
        kills = "; ".join(at.describe() + f", {len(at.in_doubt)} in doubt" for at in self.kills)
        return (
            f"[{backend}] {kills}; resumed in {self.resumed_in:.2f}s "
            f"(resent_in_doubt={self.resent}); {len(self.delivered)} delivered, "
            f"{sum(self.duplicates().values())} duplicate(s) "
            f"(limit {per_kill} per kill: {per_kill * len(self.kills)})"
        )


def crash_and_resume(
    root: Path,
    kills: list[Kill],
    resume_with: str,
    count: Callable[[], int],
    delivered: Callable[[], list[Delivered]],
) -> Outcome:
    """Each kill in turn (a run killed at its point), then runs until one is done."""
    outcome = Outcome()
    for number, kill in enumerate(kills, start=1):
        label = f"kill {number} ({kill.command}, {kill.point[0]} {kill.point[1]})"
        with silent_port() as nowhere:
            env = environment(SYNDICATE_SMTP_PORT=str(nowhere)) if kill.silent else environment()
            at = run_and_kill(root, kill, env, count, label)
        check_consistent(at, ledger(root), delivered())
        outcome.kills.append(at)
    reports, outcome.resumed_in = resume(root, resume_with, environment())
    outcome.resent = resent_in_doubt(resume_with, reports[0])
    outcome.delivered = delivered()
    return outcome


def check_finished(root: Path, outcome: Outcome, backend: str, per_kill: int) -> str:
    """Everyone got the edition, the one edition; the ledger is all sent. The report."""
    report = outcome.describe(backend, per_kill)
    print(report)
    counts = Counter(d.recipient for d in outcome.delivered)
    missing = sorted(EXPECTED - set(counts))
    assert not missing, f"{report}: never received: {missing[:10]} ({len(missing)})"
    unexpected = sorted(set(counts) - EXPECTED)
    assert not unexpected, f"{report}: sent to those who should get nothing: {unexpected}"
    for message in outcome.delivered:
        assert parseaddr(message.to)[1] == message.recipient, f"{report}: {message}"
    editions = {d.message_id.split(".", 1)[0] for d in outcome.delivered}
    assert len(editions) == 1, f"{report}: messages of several editions: {editions}"
    recorded, statuses, in_doubt = inspect_store(root)
    assert recorded == 1, f"{report}: {recorded} editions recorded"
    assert statuses == Counter(sent=SUBSCRIBERS), f"{report}: ledger ends {statuses}"
    assert not in_doubt
    last = outcome.kills[-1]
    assert outcome.resent == len(last.in_doubt), (
        f"{report}: the resumed run resent {outcome.resent}, the kill left "
        f"{len(last.in_doubt)} sending"
    )
    return report
