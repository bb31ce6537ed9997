"""Whether two checkouts of syndicate make the same outputs, byte for byte.

    python scripts/same_outputs.py OLD_CHECKOUT NEW_CHECKOUT

Each checkout runs its own `.venv/bin/syndicate` (`make demo` makes it) over the same
sites, under one frozen clock (libfaketime: `apt-get install faketime`), so that dates,
edition ids and first sightings agree: the example site of this repository and a
generated site of 1,000 articles and 200 subscribers. Each site is published, edited
(one story changed, one added) and published again a day later, then previewed, listed,
built, validated, dispatched and served. Compared: every file under feeds/, digests/,
outbox/ and .syndicate/build/, a dump of the state store, and every command's stdout,
stderr and exit status. Caches are left out: they are hints, and hold code stamps.

For a change that should change no output (a move of code); exit status 1 when the
outputs differ, with the first differences listed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.sites import SECTIONS, write_site  # noqa: E402

WORK = Path("/tmp/syndicate-same-outputs")  # the same path in both runs: paths agree too
FIRST_DAY = "2027-01-10 08:00:00"
NEXT_DAY = "2027-01-11 08:00:00"
SECRET = "same-outputs-secret-key-5d1e"
LIBFAKETIME = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
)
OUTPUT_FOLDERS = ("feeds", "digests", "outbox", ".syndicate/build")
PAGES = ("/", "/subscribe", "/digests/", "/feeds/rss.xml", "/unsubscribe/forged", "/missing")

Outputs = dict[str, str]  # what -> digest (or the text itself, where short)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path, help="a checkout with .venv/bin/syndicate")
    parser.add_argument("new", type=Path, help="another")
    args = parser.parse_args()
    library = next((path for path in LIBFAKETIME if Path(path).is_file()), None)
    if library is None:
        sys.exit("libfaketime is not installed (apt-get install faketime)")
    sources = _sources()
    results = [_run(checkout.resolve(), sources, library) for checkout in (args.old, args.new)]
    old, new = results
    differing = sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))
    print(f"{len(old)} outputs from {args.old}, {len(new)} from {args.new}")
    for key in differing[:40]:
        print(f"  differs: {key}\n    old: {old.get(key)!r:.300}\n    new: {new.get(key)!r:.300}")
    print("same outputs" if not differing else f"{len(differing)} outputs differ")
    return 1 if differing else 0


def _sources() -> dict[str, Path]:
    """The sites, made once: the example site, and a generated one with subscribers."""
    folder = WORK / "sources"
    shutil.rmtree(folder, ignore_errors=True)
    example = folder / "example"
    example.mkdir(parents=True)
    for name in ("syndicate.toml", "subscribers.csv"):
        shutil.copy(REPO / name, example / name)
    shutil.copytree(REPO / "articles", example / "articles")
    (folder / "generated").mkdir()
    generated = write_site(folder / "generated", 1000)
    rng = random.Random(5)
    with (generated / "subscribers.csv").open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "name", "sections", "status"])
        for n in range(200):
            chosen = rng.sample(SECTIONS, rng.randint(0, 3))
            writer.writerow([f"reader{n}@example.com", f"Reader {n}", ";".join(chosen), "active"])
    return {"example": example, "generated": generated}


def _run(checkout: Path, sources: dict[str, Path], library: str) -> Outputs:
    syndicate = checkout / ".venv" / "bin" / "syndicate"
    if not syndicate.is_file():
        sys.exit(f"{syndicate} is missing: run `make demo` in {checkout}")
    outputs: Outputs = {}
    for name, source in sources.items():
        site = WORK / "site"
        shutil.rmtree(site, ignore_errors=True)
        shutil.copytree(source, site)

        steps: list[tuple[str, tuple[str, ...], str]] = [
            ("publish (first)", ("publish", str(site), "--json"), FIRST_DAY),
            ("publish (edited)", ("publish", str(site), "--json"), NEXT_DAY),
            ("publish (unchanged)", ("publish", str(site), "--json"), NEXT_DAY),
            ("articles", ("articles", str(site), "--json"), NEXT_DAY),
            ("preview", ("preview", str(site), "--no-open"), NEXT_DAY),
            ("build", ("build", str(site)), NEXT_DAY),
            ("validate", ("validate", str(site / "feeds"), "--json"), NEXT_DAY),
            ("dispatch", ("dispatch", str(site), "--json"), NEXT_DAY),
            ("subscribers list", ("subscribers", "list", "--json", "--dir", str(site)), NEXT_DAY),
        ]
        for label, arguments, day in steps:
            done = subprocess.run(
                [str(syndicate), *arguments],
                capture_output=True,
                env=_environment(library, day),
                cwd=WORK,
                timeout=600,
            )
            what = f"{name}: syndicate {label}"
            outputs[f"{what} [exit]"] = str(done.returncode)
            outputs[f"{what} [stdout]"] = _short(done.stdout)
            outputs[f"{what} [stderr]"] = _short(done.stderr)
            if label == "publish (first)":
                _edit(site)
        outputs.update(_served(syndicate, site, library, name))
        outputs.update(_files(site, name))
    scaffold = WORK / "scaffold"
    shutil.rmtree(scaffold, ignore_errors=True)
    subprocess.run(
        [str(syndicate), "init", str(scaffold), "--title", "Pellan Post"],
        capture_output=True,
        check=True,
    )
    outputs.update(_tree(scaffold, "init"))
    return outputs


def _environment(library: str, day: str) -> dict[str, str]:
    return {
        **os.environ,
        "LD_PRELOAD": library,
        "FAKETIME": day,  # frozen: every run of a step sees the same second
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # asyncio's timers keep running
        "SYNDICATE_SECRET_KEY": SECRET,
        "COLUMNS": "200",
    }


def _edit(site: Path) -> None:
    """One story changed, one added: what a republish meets."""
    first = sorted((site / "articles").rglob("*.md"))[0]
    first.write_text(first.read_text("utf-8") + "\n\nA paragraph added later.\n", "utf-8")
    added = site / "articles" / "world" / "late-addition.md"
    added.parent.mkdir(parents=True, exist_ok=True)
    added.write_text(
        "---\ntitle: A Late Addition\nsection: World\n"
        "published: 2027-01-10T20:00:00Z\n---\nIt came in after the first edition.\n",
        "utf-8",
    )


def _served(syndicate: Path, site: Path, library: str, name: str) -> Outputs:
    """A few pages of `syndicate serve`, as a browser gets them."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(syndicate), "serve", str(site), "--port", str(port)],
        env=_environment(library, NEXT_DAY),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    outputs: Outputs = {}
    try:
        for path in PAGES:
            outputs[f"{name}: GET {path}"] = _fetch(f"http://127.0.0.1:{port}{path}")
    finally:
        server.terminate()
        server.wait(10)
    return outputs


def _fetch(url: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return f"{response.status} {_short(response.read())}"
        except urllib.error.HTTPError as exc:
            return f"{exc.code} {_short(exc.read())}"
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _files(site: Path, name: str) -> Outputs:
    outputs: Outputs = {}
    for folder in OUTPUT_FOLDERS:
        outputs.update(_tree(site / folder, f"{name}: {folder}"))
    with sqlite3.connect(site / ".syndicate" / "state.db") as db:
        dump = "\n".join(db.iterdump())
    outputs[f"{name}: state.db"] = _short(dump.encode("utf-8"))
    return outputs


def _tree(folder: Path, label: str) -> Outputs:
    return {
        f"{label}/{path.relative_to(folder).as_posix()}": _short(path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _short(data: bytes) -> str:
    """Short outputs as they are (a difference is shown), long ones as a digest."""
    if len(data) <= 400:
        return data.decode("utf-8", "replace")
    return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}"


if __name__ == "__main__":
    sys.exit(main())
