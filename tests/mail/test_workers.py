"""Past one machine: `publish --no-send` on one site copy, then `dispatch` workers, each
with a copy of the site folder of its own (no shared disk), sharing the edition through
one PostgreSQL store; a worker killed with SIGKILL and restarted, and the PostgreSQL
server restarted under a dispatch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg

from tests.factories import write_site
from tests.mail.sites import SECTIONS, story, story_file
from tests.mail.smtp_process import MailServer, mail_server
from tests.postgres import PostgresServer

PEOPLE = 3000
CONNECTIONS = 4
DELAY = 0.02  # seconds the server takes over each message
TIMEOUT = 180.0
SECRET = "workers-test-signing-key"


def reader(number: int) -> str:
    return f"reader{number:04d}@example.com"


def site(root: Path, port: int, people: int = PEOPLE) -> Path:
    files = {story_file(s, n): story(s, n) for s in SECTIONS for n in range(1, 3)}
    config = (
        '[site]\nbase_url = "https://news.example.com/"\n'
        f"sections = {json.dumps(list(SECTIONS))}\n\n"
        f'[dispatch]\nbackend = "smtp"\nconnections = {CONNECTIONS}\nlease_seconds = 10\n\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
    )
    write_site(root, files, config)
    rows = ["email,name,sections,status"]
    rows += [f"{reader(n)},Reader {n},,active" for n in range(people)]
    (root / "subscribers.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return root


def environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env.update(SYNDICATE_DATABASE_URL=url, SYNDICATE_SECRET_KEY=SECRET)
    return env


def syndicate(name: str, root: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "syndicate", name, str(root), *options]


def publish_without_sending(root: Path, env: dict[str, str], people: int) -> None:
    done = subprocess.run(
        syndicate("publish", root, "--no-send", "--json", "--quiet"),
        env=env, capture_output=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    digest = json.loads(done.stdout)["digest"]
    assert (digest["recipients"], digest["queued"], digest["sent"]) == (people, people, 0)
    assert json.loads(done.stdout)["dispatch"] is None


def copies(root: Path, count: int) -> list[Path]:
    """A copy of the site folder per worker, as on machines of their own."""
    return [Path(shutil.copytree(root, root.parent / f"worker-{n}")) for n in range(count)]


def ledger(url: str, owner: str = "%") -> tuple[Counter[str], Counter[str], set[str]]:
    """The ledger's statuses, who sent how many, and who is `sending` now (held by the
    worker `owner`, or by any)."""
    with psycopg.connect(url) as db:
        statuses = Counter(dict(db.execute("SELECT status, COUNT(*) FROM send GROUP BY status")))
        owners = Counter(
            dict(
                db.execute(  # type: ignore[arg-type]
                    "SELECT lease_owner, COUNT(*) FROM send WHERE status = 'sent'"
                    " GROUP BY lease_owner"
                )
            )
        )
        sending = db.execute(
            "SELECT b.email FROM send s JOIN subscriber b ON b.id = s.subscriber_id"
            " WHERE s.status = 'sending' AND s.lease_owner LIKE %s",
            (owner,),
        )
        return statuses, owners, {row[0] for row in sending}


def start_worker(folder: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        syndicate("dispatch", folder, "--json", "--quiet"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: object, what: str) -> None:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        assert time.monotonic() - started < TIMEOUT, f"not reached in {TIMEOUT}s: {what}"
        time.sleep(0.005)


def finished(process: subprocess.Popen[bytes], label: str) -> dict[str, object]:
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, f"{label}: exit {process.returncode}: {err[-2000:]!r}"
    report = json.loads(out)
    assert isinstance(report, dict)
    return report


def received_once_but(server: MailServer, people: int, in_doubt: set[str]) -> Counter[str]:
    counts = Counter(d.recipient for d in server.delivered())
    missing = sorted({reader(n) for n in range(people)} - set(counts))
    assert not missing, f"never received: {missing[:10]} ({len(missing)})"
    duplicates = Counter({e: n - 1 for e, n in counts.items() if n > 1})
    assert set(duplicates) <= in_doubt, f"sent twice, not in flight: {set(duplicates) - in_doubt}"
    return duplicates


def test_three_workers_share_an_edition_one_killed_and_restarted(
    tmp_path: Path, postgres_url: str
) -> None:
    env = environment(postgres_url)
    with mail_server(tmp_path, DELAY) as server:
        root = site(tmp_path / "publisher", server.port)
        publish_without_sending(root, env, PEOPLE)
        folders = copies(root, 3)
        workers = [start_worker(folder, env) for folder in folders]
        try:
            wait_for(lambda: server.count() >= PEOPLE * 3 // 10, "30% delivered")
            os.kill(workers[1].pid, signal.SIGKILL)
            workers[1].wait(timeout=TIMEOUT)
            # The killed worker's id: its host and its folder (the default).
            killed = f"{socket.gethostname()}:{folders[1].resolve()}"
            _, _, in_doubt = ledger(postgres_url, killed)
            # Restarted at once, in the same folder: the same worker, taking back its sends.
            workers[1] = start_worker(folders[1], env)
            reports = [finished(w, f"worker {n}") for n, w in enumerate(workers)]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
        duplicates = received_once_but(server, PEOPLE, in_doubt)
    assert sum(duplicates.values()) <= CONNECTIONS, duplicates
    statuses, owners, sending = ledger(postgres_url)
    assert statuses == Counter(sent=PEOPLE) and not sending
    assert len(owners) == 3 and all(owners.values()), owners
    # Each worker's report says what it sent itself (the restarted one: since its restart).
    mine = [e["sent_by_worker"] for r in reports for e in r["editions"]]  # type: ignore[attr-defined]
    assert all(mine) and sum(mine) <= PEOPLE, mine
    resent = sum(int(e["resent_in_doubt"]) for r in reports for e in r["editions"])  # type: ignore[attr-defined]
    assert resent == len(in_doubt) <= CONNECTIONS


def test_a_postgresql_restart_under_a_dispatch_loses_nothing(
    tmp_path: Path, postgres_server: PostgresServer, postgres_url: str
) -> None:
    people = 600
    env = environment(postgres_url)
    with mail_server(tmp_path, DELAY) as server:
        root = site(tmp_path / "site", server.port, people)
        publish_without_sending(root, env, people)
        worker = start_worker(root, env)
        try:
            wait_for(lambda: server.count() >= people // 4, "25% delivered")
            postgres_server.restart()
            report = finished(worker, "the worker")
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        duplicates = received_once_but(server, people, {reader(n) for n in range(people)})
    assert sum(duplicates.values()) <= CONNECTIONS, duplicates
    statuses, _, _ = ledger(postgres_url)
    assert statuses == Counter(sent=people)
    [edition] = report["editions"]  # type: ignore[misc]
    assert edition["sent"] == people


def test_the_whole_flow_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    people = 40
    env = environment(postgres_url)
    with mail_server(tmp_path, 0.0) as server:
        root = site(tmp_path / "site", server.port, people)
        done = subprocess.run(
            syndicate("publish", root, "--json", "--quiet"),
            env=env, capture_output=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
        digest = json.loads(done.stdout)["digest"]
        assert (digest["recipients"], digest["sent"], digest["queued"]) == (people, people, 0)
        received_once_but(server, people, set())
        # Nothing new: no second edition, nothing sent again.
        again = subprocess.run(
            syndicate("publish", root, "--json", "--quiet"),
            env=env, capture_output=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
        assert again.returncode == 0 and json.loads(again.stdout)["digest"] is None
        assert server.count() == people
    report = subprocess.run(
        syndicate("report", root, "--json"), env=env, capture_output=True, timeout=TIMEOUT
    )
    [edition] = json.loads(report.stdout)["editions"]
    assert (edition["recipients"], edition["sent"]) == (people, people)
    # Nothing of the store was written beside the site: it is all in PostgreSQL.
    assert not (root / ".syndicate" / "state.db").exists()
