"""serve: `syndicate serve` answering feed requests (requests per second).

The server is the real command (`python -m syndicate serve SITE --port N`: the app of
`syndicate.serve.create_app` in uvicorn) in its own process, serving a published
1,000-article site. The client, in this process, is an asyncio client with
CLIENTS keep-alive connections, asking for the 21 subscription feeds (site and six
sections, three formats) in turn with `Accept-Encoding: gzip`, every other request
conditional (`If-None-Match` with the feed's ETag: a 304), as feed readers poll.
Size: requests per run. Peak RSS: the server process's. Also reported: `rate_304`
and `floor_rate_304`, as many requests all conditional (where a 200's gzip,
the same for both, no longer hides the per-request cost); `rate_mixed` and
`floor_rate_mixed`, the same with one request in BROWSER_SHARE from a browser
(`Accept: text/html` first: ours answers a page made of the feed, the floor the
file).

Floor: the bare libraries serving the same folder to the same client: Starlette's
StaticFiles under GZipMiddleware, in uvicorn with the same settings
(`--bare-server`), nothing of ours around it.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from benchmarks.common import ENV, emit, high_water_mb, interleaved, log, parser, row, timer
from benchmarks.common import site_copy as make_site
from syndicate import api
from syndicate.feeds.publish import publish_staged

SITE_ARTICLES = 1_000
CLIENTS = 4
FEED_NAMES = ("rss.xml", "atom.xml", "feed.json")
CONDITIONAL_SHARE = 5  # the all-304 runs make this many times the requests: they are quick
BROWSER_SHARE = 20  # in the mixed runs, one request in this many is a browser's
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bare_server(site: Path, port: int) -> None:
    """The floor's server: Starlette's StaticFiles and GZipMiddleware, in uvicorn."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    app = Starlette(
        routes=[Mount("/feeds", StaticFiles(directory=site / "feeds"))],
        middleware=[Middleware(GZipMiddleware, minimum_size=512)],
    )
    # As `syndicate serve` runs uvicorn.
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info", proxy_headers=False)


class Server:
    def __init__(self, site: Path, bare: bool) -> None:
        self.port = free_port()
        if bare:
            command = ["-m", "benchmarks.stage_serve", "--bare-server", str(site)]
        else:
            command = ["-m", "syndicate", "serve", str(site), "--host", "127.0.0.1"]
        self.process = subprocess.Popen(
            [sys.executable, *command, "--port", str(self.port)],
            env=os.environ | ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.05)

    def peak_mb(self) -> float:
        return round(high_water_mb(self.process.pid), 1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def feed_paths(site: Path) -> list[str]:
    feeds = site / "feeds"
    folders = [feeds, *sorted(p for p in feeds.iterdir() if p.is_dir() and p.name != "archive")]
    return [
        "/" + (folder / name).relative_to(site).as_posix()
        for folder in folders
        for name in FEED_NAMES
        if (folder / name).is_file()
    ]


def etags(port: int, paths: list[str]) -> dict[str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    found = {}
    for path in paths:
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
        found[path] = response.headers["etag"]
    connection.close()
    return found


def drive(
    port: int,
    paths: list[str],
    tags: dict[str, str],
    requests: int,
    every: int = 2,
    browsers: int = 0,
) -> None:
    """`requests` requests over CLIENTS keep-alive connections; every `every`th one
    plain, the others conditional (0: all conditional); with `browsers`, one in that
    many a browser's instead (HTML first)."""
    asyncio.run(_drive(port, paths, tags, requests, every, browsers))


async def _drive(
    port: int, paths: list[str], tags: dict[str, str], requests: int, every: int, browsers: int
) -> None:
    plan = []
    for index in range(requests):
        path = paths[(index // max(every, 1)) % len(paths)]
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n"
        if browsers and index % browsers == browsers - 1:
            plan.append(((head + f"Accept: {BROWSER_ACCEPT}\r\n\r\n").encode(), 200))
            continue
        conditional = not every or index % every != 0
        condition = f"If-None-Match: {tags[path]}\r\n" if conditional else ""
        plan.append(((head + condition + "\r\n").encode(), 304 if conditional else 200))

    async def client(number: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request, expected in plan[number::CLIENTS]:
            writer.write(request)
            status = await _response(reader)
            if status != expected:
                raise RuntimeError(f"{request!r}: {status}")
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))


async def _response(reader: asyncio.StreamReader) -> int:
    """Read one response whole (Content-Length or chunked); its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines[1:] if line)
    }
    if "content-length" in fields:
        await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


def published_site(folder: Path) -> Path:
    root = make_site(SITE_ARTICLES, folder)
    built = api.build(root, ENV)
    publish_staged(built.feeds, built.site.config.paths.feeds)
    return root


def measure(site: Path, requests: int, runs: int) -> tuple[dict[str, float], float]:
    """Both servers up, each driven in turn: the median seconds of the mix and of
    as many requests all conditional (304s), for ours and the floor; our server's
    peak RSS."""
    servers = {"ours": Server(site, bare=False), "floor": Server(site, bare=True)}
    try:
        paths = feed_paths(site)
        contenders = {}
        for name, server in servers.items():
            port, tags = server.port, etags(server.port, paths)
            drive(port, paths, tags, requests // 4)  # warm
            many = requests * CONDITIONAL_SHARE
            contenders[name] = timer(partial(drive, port, paths, tags, requests))
            contenders[f"{name} 304"] = timer(partial(drive, port, paths, tags, many, 0))
            mixed = partial(drive, port, paths, tags, many, 0, BROWSER_SHARE)
            contenders[f"{name} mixed"] = timer(mixed)
        return interleaved(contenders, runs), servers["ours"].peak_mb()
    finally:
        for server in servers.values():
            server.stop()


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--bare-server", type=Path, help="(internal) run the floor's server")
    arguments.add_argument("--port", type=int, default=0)
    args = arguments.parse_args()
    if args.bare_server is not None:
        bare_server(args.bare_server, args.port)
        return
    requests = args.size
    with tempfile.TemporaryDirectory() as folder:
        site = published_site(Path(folder))
        log(f"serve: ours and the floor in turn, {requests} requests a run")
        medians, peak = measure(site, requests, args.runs)
        seconds, conditional = medians["ours"], medians["ours 304"]
        floor, floor_conditional = medians["floor"], medians["floor 304"]
        mixed, floor_mixed = medians["ours mixed"], medians["floor mixed"]
        kilobytes = sum(
            (site / path.lstrip("/")).stat().st_size for path in feed_paths(site)
        ) / len(feed_paths(site))
    emit(
        row("serve", requests, seconds, floor, peak)
        | {
            "clients": CLIENTS,
            "conditional": 0.5,
            "rate_304": round(requests * CONDITIONAL_SHARE / conditional, 1),
            "floor_rate_304": round(requests * CONDITIONAL_SHARE / floor_conditional, 1),
            "rate_mixed": round(requests * CONDITIONAL_SHARE / mixed, 1),
            "floor_rate_mixed": round(requests * CONDITIONAL_SHARE / floor_mixed, 1),
            "browser_share": round(1 / BROWSER_SHARE, 3),
            "feed_kb": round(kilobytes / 1024, 1),
            "target": None,
        }
    )


if __name__ == "__main__":
    main()
