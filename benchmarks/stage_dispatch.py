"""outbox and smtp: an edition's M messages sent from the ledger (`syndicate.mail.deliver.
deliver`: the ledger walk, each message filled and handed over).

Each timed run is a fresh process (`--child`) that only sends, from a copy of the
same queued ledger, so a row's peak RSS is the dispatch's own (its VmHWM): the target
is that a 100k-subscriber dispatch peaks at no more than 1.2x a 10k one. Also
reported: `cpu_ratio`, the floor's CPU seconds over ours (medians), which a shared
machine's noise moves much less than the wall times.

outbox: into the site's Maildir. Floor: mailbox.Maildir.add of the same messages
(prebuilt, one per variant). Target: ratio >= 0.8.

smtp: to an aiosmtpd sink in a separate process on 127.0.0.1 that accepts and
discards, over `dispatch.connections` (4) connections. Floor: aiosmtplib sending the
same prebuilt messages over as many connections to the same sink, nothing else.
Target: ratio >= 0.9. Also reported: `vs_asyncio`, our rate over a bare asyncio
client speaking SMTP itself over as many connections, and `sink_cpu`, the share
of our runs' wall time that the sink process spent on a CPU (near 1.0: the sink,
not the sender, sets the pace).

smtp-dkim (`--backend smtp --dkim`): the same, each message signed (RSA-SHA256, a
2048-bit key); the floor sends unsigned messages, as for smtp. Also timed in turn: our
unsigned run from the same ledger; `vs_unsigned` = our signed rate over our unsigned
rate. Target: vs_unsigned >= 0.8.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import mailbox
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiosmtplib

from benchmarks.common import (
    ENV,
    emit,
    high_water_mb,
    interleaved,
    log,
    parser,
    profile,
    row,
    site_copy,
    timer,
)
from benchmarks.sites import add_subscribers
from syndicate._store.store import StateStore
from syndicate.api import load_site
from syndicate.config import load_config
from syndicate.digests.headers import Recipient
from syndicate.digests.messages import MessageTemplate
from syndicate.digests.plan import plan_edition
from syndicate.digests.publish import commit_edition
from syndicate.mail.deliver import DeliveryReport, deliver, envelope_sender
from syndicate.paths import SitePaths

SITE_ARTICLES = 300  # the edition takes the newest 30
CONNECTIONS = 4
Job = tuple[str, bytes]  # (recipient, message)


def config_for(backend: str) -> str:
    if backend == "outbox":
        return '\n[dispatch]\nbackend = "outbox"\n'
    return (
        f'\n[dispatch]\nbackend = "smtp"\nconnections = {CONNECTIONS}\n'
        '\n[smtp]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\n'
    )


def child(root: Path, profiling: bool) -> None:
    """One timed dispatch, in a process of its own: seconds, messages sent, peak RSS."""
    config = load_config(root, os.environ)
    reports: list[DeliveryReport] = []
    start, cpu = time.perf_counter(), time.process_time()
    if profiling:
        profile(lambda: reports.append(deliver(config)), f"dispatch of {root}")
    else:
        reports.append(deliver(config))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    sent = sum(tally.sent for tally in reports[0].editions)
    # VmHWM, not ru_maxrss: a process started by fork and exec inherits in ru_maxrss
    # the RSS its parent had (here the benchmark's, which holds the floors' messages).
    peak = round(high_water_mb(), 1)
    emit({"seconds": seconds, "cpu_seconds": cpu, "sent": sent, "peak_rss_mb": peak})


def queue_edition(root: Path, size: int) -> list[Job]:
    """Subscribers, and an edition committed with all their sends queued (setup);
    returns each send's recipient and a prebuilt message of its variant, for floors."""
    add_subscribers(root, size)
    site = load_site(root, ENV)
    config = site.config
    prepared = plan_edition(config, site.articles, site.sections, now=site.moment)
    assert prepared is not None and prepared.sends is not None
    commit_edition(config, prepared)
    plan = prepared.sends
    sample = Recipient(
        "reader@example.com",
        "Sample Reader",
        "https://bench.example/unsubscribe/" + "x" * 80,
        "mailto:unsubscribe@bench.example?subject=unsubscribe%20" + "x" * 80,
    )
    built = {
        key: MessageTemplate.prepare(variant, plan.headers_of(variant)).fill(sample)
        for key, variant in plan.variants.items()
    }
    with StateStore(config.store) as store:
        emails = {s.id: s.email for s in store.subscribers.all()}
    return [(emails[subscriber], built[key]) for subscriber, key in plan.sends]


class Runs:
    """Timed dispatches, each in a fresh child process, from the same queued ledger."""

    def __init__(self, root: Path, environ: dict[str, str], expected: int) -> None:
        self.root = root
        self.environ = environ
        self.expected = expected
        self.state = SitePaths(root).state_db
        self.pristine = root.parent / "state.db.queued"
        shutil.copy2(self.state, self.pristine)  # closed: the WAL is checkpointed
        self.results: list[dict[str, float]] = []

    def reset(self) -> None:
        for suffix in ("-wal", "-shm"):
            Path(f"{self.state}{suffix}").unlink(missing_ok=True)
        shutil.copy2(self.pristine, self.state)
        shutil.rmtree(self.root / "outbox", ignore_errors=True)
        os.sync()  # the last run's writes go to disk now, not during this one

    def __call__(self, profiling: bool = False) -> float:
        """One run: its seconds, as the child process timed its dispatch."""
        self.reset()
        command = [sys.executable, "-m", "benchmarks.stage_dispatch", "--child", str(self.root)]
        done = subprocess.run(
            command + (["--profile"] if profiling else []),
            env=os.environ | self.environ,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the dispatch child failed:\n{done.stderr}")
        result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["sent"] == self.expected, f"sent {result['sent']} of {self.expected}"
        if profiling:
            log(done.stderr)
        else:
            self.results.append(result)
        return result["seconds"]

    @property
    def peak(self) -> float:
        return max(r["peak_rss_mb"] for r in self.results)


class CpuTimed:
    """`timer(work, before)` that also keeps each run's CPU seconds."""

    def __init__(
        self, work: Callable[[], object], before: Callable[[], object] | None = None
    ) -> None:
        self.work = work
        self.cpu: list[float] = []
        self.timed = timer(self._run, before)

    def _run(self) -> None:
        start = time.process_time()
        self.work()
        self.cpu.append(time.process_time() - start)

    def __call__(self) -> float:
        return self.timed()


def cpu_ratio(ours: Runs, floor: CpuTimed) -> float:
    mine = statistics.median(r["cpu_seconds"] for r in ours.results)
    return round(statistics.median(floor.cpu) / mine, 3)


def floor_outbox(folder: Path, jobs: list[Job]) -> None:
    box = mailbox.Maildir(folder, create=True)
    for _, message in jobs:
        box.add(message)


async def floor_aiosmtplib(port: int, sender: str, jobs: list[Job]) -> None:
    queue = collections.deque(jobs)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        while queue:
            recipient, message = queue.popleft()
            await client.sendmail(sender, [recipient], message, mail_options=["BODY=8BITMIME"])
        await client.quit()

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))


async def floor_asyncio(port: int, sender: str, jobs: list[Job]) -> None:
    """SMTP spoken by hand over asyncio streams: EHLO once, then MAIL, RCPT, DATA."""
    queue = collections.deque(jobs)

    async def reply(reader: asyncio.StreamReader, expected: bytes) -> None:
        while True:
            line = await reader.readline()
            if not line.startswith(expected):
                raise RuntimeError(f"unexpected reply {line!r}")
            if line[3:4] != b"-":
                return

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reply(reader, b"220")
        writer.write(b"EHLO bench.example\r\n")
        await reply(reader, b"250")
        while queue:
            recipient, message = queue.popleft()
            writer.write(f"MAIL FROM:<{sender}> BODY=8BITMIME\r\n".encode())
            await reply(reader, b"250")
            writer.write(f"RCPT TO:<{recipient}>\r\n".encode())
            await reply(reader, b"250")
            writer.write(b"DATA\r\n")
            await reply(reader, b"354")
            data = message.replace(b"\r\n.", b"\r\n..")
            if data.startswith(b"."):
                data = b"." + data
            if not data.endswith(b"\r\n"):
                data += b"\r\n"
            writer.write(data + b".\r\n")
            await reply(reader, b"250")
        writer.write(b"QUIT\r\n")
        await reply(reader, b"221")
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_outbox(root: Path, size: int, runs: int, profiling: bool) -> dict[str, object]:
    jobs = queue_edition(root, size)
    ours = Runs(root, ENV, size)
    floor_box = root.parent / "floor-maildir"

    def clear() -> None:
        shutil.rmtree(floor_box, ignore_errors=True)
        os.sync()

    log(f"outbox {size}: ours (a fresh process per run) and the floor, in turn")
    floor = CpuTimed(lambda: floor_outbox(floor_box, jobs), before=clear)
    medians = interleaved({"ours": ours, "floor": floor}, runs)
    if profiling:
        ours(profiling=True)
    ours.reset()
    clear()
    kilobytes = sum(len(message) for _, message in jobs) / len(jobs) / 1024
    return row("outbox", size, medians["ours"], medians["floor"], ours.peak) | {
        "cpu_ratio": cpu_ratio(ours, floor),
        "message_kb": round(kilobytes, 1),
        "target": 0.8,
    }


def dkim_environ(folder: Path) -> dict[str, str]:
    """A fresh 2048-bit RSA key in `folder`, as SYNDICATE_DKIM_KEY names it (setup)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return {"SYNDICATE_DKIM_KEY": str(path)}


def bench_smtp(
    root: Path, size: int, runs: int, profiling: bool, stock: bool = False, dkim: bool = False
) -> dict[str, object]:
    command = [sys.executable, "-m", "benchmarks.smtp_sink", *(["--stock"] if stock else [])]
    sink = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline().split()[1])
        jobs = queue_edition(root, size)
        sender = envelope_sender(load_config(root, ENV))
        environ = ENV | {"SYNDICATE_SMTP_PORT": str(port)}
        signing = dkim_environ(root.parent) if dkim else {}
        ours = Runs(root, environ | signing, size)
        # Unsigned: no key, whatever the shell that runs the bench has set.
        unsigned = Runs(root, environ | {"SYNDICATE_DKIM_KEY": ""}, size) if dkim else None
        sink_seconds = 0.0

        def watched() -> float:
            """Ours, noting how much CPU the sink used meanwhile."""
            nonlocal sink_seconds
            before = cpu_seconds(sink.pid)
            seconds = ours()
            sink_seconds += cpu_seconds(sink.pid) - before
            return seconds

        log(f"smtp {size}: ours (a fresh process per run), aiosmtplib, asyncio, in turn")
        floor = CpuTimed(lambda: asyncio.run(floor_aiosmtplib(port, sender, jobs)))
        timed: dict[str, Callable[[], float]] = {
            "ours": watched,
            "aiosmtplib": floor,
            "asyncio": timer(lambda: asyncio.run(floor_asyncio(port, sender, jobs))),
        }
        if unsigned is not None:
            timed["unsigned"] = unsigned
        medians = interleaved(timed, runs)
        sink_cpu = sink_seconds / sum(r["seconds"] for r in ours.results)
        if profiling:
            ours(profiling=True)
    finally:
        sink.terminate()
        sink.wait()
    seconds, bare = medians["ours"], medians["asyncio"]
    signed: dict[str, object] = {}
    if unsigned is not None:
        # Wall time follows whichever is busiest, sender or sink: the sender's CPU a
        # message (all its threads), signed against unsigned, says what signing costs.
        cpu = statistics.median(r["cpu_seconds"] for r in ours.results)
        cpu_unsigned = statistics.median(r["cpu_seconds"] for r in unsigned.results)
        vs_unsigned = round(medians["unsigned"] / seconds, 3)
        signed = {
            "vs_unsigned": vs_unsigned,
            "cpu_ms_signed": round(cpu / size * 1000, 3),
            "cpu_ms_unsigned": round(cpu_unsigned / size * 1000, 3),
            "target": "vs_unsigned >= 0.8",
            "met": vs_unsigned >= 0.8,
        }
    return (
        row("smtp-dkim" if dkim else "smtp", size, seconds, medians["aiosmtplib"], ours.peak)
        | {
            "cpu_ratio": cpu_ratio(ours, floor),
            "vs_asyncio": round(bare / seconds, 3),
            "asyncio_rate": round(size / bare, 1),
            "sink_cpu": round(sink_cpu, 2),
            "connections": CONNECTIONS,
            "sink": "aiosmtpd (stock DATA)" if stock else "aiosmtpd (block DATA)",
            "target": 0.9,
        }
        | signed
    )


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--backend", choices=("outbox", "smtp"))
    arguments.add_argument("--stock-sink", action="store_true", help="aiosmtpd's own DATA")
    arguments.add_argument("--dkim", action="store_true", help="smtp-dkim: sign each message")
    arguments.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = arguments.parse_args()
    if args.child is not None:
        child(args.child, args.profile)
        return
    with tempfile.TemporaryDirectory() as folder:
        config = config_for(args.backend)
        if args.dkim:
            config += '\n[dkim]\nselector = "bench"\ndomain = "bench.example"\n'
        root = site_copy(SITE_ARTICLES, Path(folder), config)
        if args.backend == "outbox":
            emit(bench_outbox(root, args.size, args.runs, args.profile))
        else:
            emit(bench_smtp(root, args.size, args.runs, args.profile, args.stock_sink, args.dkim))


if __name__ == "__main__":
    main()
