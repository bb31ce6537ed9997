"""The SMTP backend: aiosmtplib connections, each reused for many messages."""

from __future__ import annotations

import ssl
from typing import NoReturn

import aiosmtplib

from syndicate.mail.backends import BackendUnavailable, PermanentFailure, TemporaryFailure

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
        rate: float = 0,
        timeout: float = TIMEOUT,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.connections = connections
        self.rate = rate  # messages a second over all connections; 0: no limit
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
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()  # now, so that its extensions (8BITMIME) are known
            if self.username:
                await client.login(self.username, self.password or "")
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise BackendUnavailable(f"login refused: {exc.code} {exc.message}") from None
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:  # EHLO or STARTTLS refused for good
                raise BackendUnavailable(f"{exc.code} {exc.message}") from None
            raise TemporaryFailure(f"cannot connect: {exc.code} {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise TemporaryFailure(f"cannot connect to {self.host}:{self.port}: {exc}") from None
        return SmtpConnection(client)


class SmtpConnection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client

    async def deliver(self, sender: str, recipient: str, message: bytes, key: str) -> str:
        # The text part is 8bit: say so where the server takes it (RFC 6152).
        options = ["BODY=8BITMIME"] if self.client.supports_extension("8bitmime") else []
        if not recipient.isascii():
            if not self.client.supports_extension("smtputf8"):
                # Never mangled into another address, never given up on: it waits for
                # a server that takes internationalised mail (RFC 6531).
                raise TemporaryFailure(
                    f"{self.client.hostname} does not offer SMTPUTF8, which an address "
                    "with non-ASCII characters before the @ needs (RFC 6531)"
                )
            options.append("SMTPUTF8")
        try:
            refused, reply = await self.client.sendmail(
                sender, [recipient], message, mail_options=options
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            _raise_for(first.code, first.message)
        except aiosmtplib.SMTPSenderRefused as exc:
            if 500 <= exc.code < 600:  # "530 Authentication required", a banned sender
                raise BackendUnavailable(f"MAIL FROM refused: {exc.code} {exc.message}") from None
            raise TemporaryFailure(f"{exc.code} {exc.message}", reconnect=True) from None
        except aiosmtplib.SMTPDataError as exc:
            if 500 <= exc.code < 600:  # the message refused, not the address
                raise PermanentFailure(f"{exc.code} {exc.message}", suppress=False) from None
            raise TemporaryFailure(f"{exc.code} {exc.message}") from None
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
