"""The SMTP backend: aiosmtplib connections, each reused for many messages."""

from __future__ import annotations

import ssl
from typing import NoReturn

import aiosmtplib

from syndicate.dispatch.backends import PermanentFailure, TemporaryFailure

TIMEOUT = 60.0


class SmtpBackend:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        username: str = "",
        password: str | None = None,
        connections: int = 4,
        timeout: float = TIMEOUT,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.connections = connections
        self.timeout = timeout

    async def connect(self) -> SmtpConnection:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            timeout=self.timeout,
            tls_context=ssl.create_default_context() if self.security != "none" else None,
        )
        try:
            await client.connect()
            if self.username:
                await client.login(self.username, self.password or "")
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise PermanentFailure(f"login refused: {exc.code} {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise TemporaryFailure(f"cannot connect to {self.host}:{self.port}: {exc}") from None
        return SmtpConnection(client)


class SmtpConnection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client

    async def deliver(self, sender: str, recipient: str, message: bytes, key: str) -> str:
        try:
            refused, reply = await self.client.sendmail(sender, [recipient], message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            _raise_for(first.code, first.message)
        except aiosmtplib.SMTPResponseException as exc:
            _raise_for(exc.code, exc.message)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            raise TemporaryFailure(f"connection lost: {exc}", reconnect=True) from None
        except aiosmtplib.SMTPException as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}", reconnect=True) from None
        if refused:
            code, text = next(iter(refused.values()))
            _raise_for(code, text)
        return str(reply)

    async def close(self) -> None:
        try:
            if self.client.is_connected:
                await self.client.quit()
        except (aiosmtplib.SMTPException, OSError):
            self.client.close()


def _raise_for(code: int, text: str) -> NoReturn:
    detail = f"{code} {text}".strip()
    if 500 <= code < 600:
        raise PermanentFailure(detail)
    raise TemporaryFailure(detail, reconnect=code in (421, -1))
