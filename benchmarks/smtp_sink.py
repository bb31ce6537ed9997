"""An SMTP sink for the `smtp` stage: aiosmtpd on 127.0.0.1 that accepts every message
and discards it. Run in its own process: `python -m benchmarks.smtp_sink`; it prints
`PORT <n>` once it listens and serves until it is terminated.

Stock aiosmtpd reads DATA one line at a time in Python (with a debug log call per
line): about 1,300 lines for one of our 95 KB digests, which makes the sink, not
the sender, the slowest part. So by default DATA is read in 64 KB blocks up to the
terminating dot (aiosmtpd still speaks the rest of the protocol); `--stock` keeps
aiosmtpd's own DATA handling. `--delay S` waits S seconds before each 250, as a slow
relay does (each connection waits on its own); `--times FILE` appends the moment of
each 250 to FILE, a line each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TextIO

from aiosmtpd.smtp import SMTP, Envelope, Session, syntax

END = b"\r\n.\r\n"


class Discard:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK"


class BlockSMTP(SMTP):
    """aiosmtpd with DATA read in blocks and thrown away."""

    delay = 0.0
    times: TextIO | None = None

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        if self.envelope is None or not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        tail = b"\r\n"  # DATA may end at once: ".\r\n" right after the 354
        while True:
            block = await self._reader.read(1 << 16)
            if not block:
                return  # the client went away
            window = tail + block
            if END in window:  # dot-stuffing keeps it out of the content
                break
            tail = window[-4:]
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.times is not None:
            self.times.write(f"{time.time()}\n")
            self.times.flush()
        await self.push("250 OK")


async def serve(stock: bool, delay: float = 0.0, times: str | None = None) -> None:
    BlockSMTP.delay = delay
    BlockSMTP.times = open(times, "a", encoding="utf-8") if times else None  # noqa: SIM115
    loop = asyncio.get_running_loop()
    kind = SMTP if stock else BlockSMTP
    server = await loop.create_server(
        lambda: kind(Discard(), hostname="sink.bench", data_size_limit=0), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stock", action="store_true", help="aiosmtpd's own DATA handling")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each 250")
    parser.add_argument("--times", help="a file to append each 250's moment to")
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.stock, arguments.delay, arguments.times))
