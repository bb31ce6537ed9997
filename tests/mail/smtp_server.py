"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port, that keeps what
it receives and can be told to misbehave (per-recipient replies, dropped connections,
slowness), optionally with STARTTLS or implicit TLS."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

# What a fault hook may answer for one recipient of one message: None (deliver), an
# SMTP reply such as "451 4.3.0 try later" (given at RCPT TO), or DROP (the connection
# is closed in the middle of DATA, after the message was read but before the reply).
DROP = "drop"
Fault = Callable[[str, int], str | None]  # (recipient, how many times it was tried)


@dataclass
class Received:
    recipient: str
    sender: str
    content: bytes

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """What the server received, and how often each recipient was tried."""

    received: list[Received] = field(default_factory=list)
    tries: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(r.recipient for r in self.received)

    def for_(self, recipient: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.recipient == recipient]


class Handler:
    def __init__(self, mailbox: Mailbox, fault: Fault | None, delay: float) -> None:
        self.mailbox, self.fault, self.delay = mailbox, fault, delay

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self.mailbox.lock:
            self.mailbox.tries[address] += 1
            tries = self.mailbox.tries[address]
        reply = self.fault(address, tries) if self.fault else None
        if reply is not None and reply != DROP:
            return reply
        envelope.rcpt_tos.append(address)
        if reply == DROP:
            envelope.rcpt_options.append("drop")  # remembered for DATA
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if "drop" in envelope.rcpt_options:
            assert server.transport is not None
            server.transport.abort()  # gone before the reply: the client cannot know
            return "421 gone"
        content = envelope.original_content or b""
        with self.mailbox.lock:
            for recipient in envelope.rcpt_tos:
                self.mailbox.received.append(
                    Received(recipient, str(envelope.mail_from), bytes(content))
                )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(
    *,
    fault: Fault | None = None,
    delay: float = 0.0,
    tls: ssl.SSLContext | None = None,
    implicit_tls: bool = False,
    login: tuple[str, str] | None = None,
    smtputf8: bool = False,
) -> Iterator[tuple[int, Mailbox]]:
    """A running server: its port and its mailbox. `tls` offers STARTTLS (or, with
    `implicit_tls`, TLS from the first byte); `login` requires AUTH with that pair;
    `smtputf8` offers SMTPUTF8 (RFC 6531)."""
    mailbox = Mailbox()
    port = free_port()
    options: dict[str, Any] = {
        "data_size_limit": 50 * 1024 * 1024,
        "enable_SMTPUTF8": smtputf8,
    }
    if tls is not None and not implicit_tls:
        options.update(tls_context=tls, require_starttls=True)
    if tls is not None and implicit_tls:
        options.update(ssl_context=tls)
    if login is not None:

        def authenticate(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == login
            )
            return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535

        options.update(
            authenticator=authenticate,
            auth_required=True,
            auth_require_tls=tls is not None and not implicit_tls,
        )
    controller = Controller(
        Handler(mailbox, fault, delay), hostname="127.0.0.1", port=port, **options
    )
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()
