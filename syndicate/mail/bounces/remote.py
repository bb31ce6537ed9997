"""The [bounces] mailbox: reports read over IMAP or POP3, never in clear text.

`imaps://user@host/INBOX` and `pop3s://user@host` use implicit TLS; `imap://` and
`pop3://` must offer STARTTLS (STLS) and are refused otherwise. The password is
SYNDICATE_BOUNCE_PASSWORD. A message is taken out of the mailbox only once what it
reports is stored: over IMAP it is moved to the processed folder (made if missing),
over POP3 deleted. A message that could not be read at all stays where it was, for a
person to look at: nothing is ever deleted unread.
"""

from __future__ import annotations

import imaplib
import poplib
import re
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from urllib.parse import unquote, urlsplit

from syndicate.errors import ConfigError
from syndicate.mail.bounces.sources import MAX_INPUT_BYTES, Incoming, Unreadable

TIMEOUT = 60.0
_UID = re.compile(rb"UID (\d+)")


class MailboxError(ConfigError):
    """The mailbox cannot be reached, or refuses us: nothing was read."""


@dataclass
class Mailbox:
    """An open mailbox: its messages to read, and `done` to call on each one whose
    events are stored (its source as `messages` named it)."""

    messages: Iterator[Incoming | Unreadable]
    done: Callable[[str], None]


@contextmanager
def open_mailbox(url: str, password: str | None, processed: str) -> Iterator[Mailbox]:
    """The mailbox at `url`, read over TLS; closed (and, over POP3, its deletions made)
    when the block ends without an exception."""
    parts = urlsplit(url)
    if not password:
        raise ConfigError("set SYNDICATE_BOUNCE_PASSWORD to read the [bounces] mailbox")
    user = unquote(parts.username or "")
    host = parts.hostname or ""
    try:
        if parts.scheme in ("imaps", "imap"):
            with _imap(parts.scheme, host, parts.port, user, password) as client:
                folder = unquote(parts.path.strip("/")) or "INBOX"
                yield _imap_mailbox(client, url, folder, processed)
        else:
            with _pop3(parts.scheme, host, parts.port, user, password) as client:
                yield _pop3_mailbox(client, url)
    except (OSError, ssl.SSLError, imaplib.IMAP4.error, poplib.error_proto) as exc:
        raise MailboxError(f"{url}: {_reason(exc)}") from None


@contextmanager
def _imap(
    scheme: str, host: str, port: int | None, user: str, password: str
) -> Iterator[imaplib.IMAP4]:
    context = ssl.create_default_context()
    client: imaplib.IMAP4
    if scheme == "imaps":
        client = imaplib.IMAP4_SSL(host, port or 993, ssl_context=context, timeout=TIMEOUT)
    else:
        client = imaplib.IMAP4(host, port or 143, timeout=TIMEOUT)
        if "STARTTLS" not in client.capabilities:
            client.shutdown()
            raise MailboxError(f"{host} offers no STARTTLS: the password is never sent in clear")
        client.starttls(ssl_context=context)
    try:
        client.login(user, password)
        yield client
        client.logout()
    finally:
        if client.state != "LOGOUT":
            client.shutdown()


def _imap_mailbox(client: imaplib.IMAP4, url: str, folder: str, processed: str) -> Mailbox:
    status, _ = client.select(_quoted(folder))
    if status != "OK":
        raise MailboxError(f"{url}: no folder {folder!r}")
    status, found = client.uid("SEARCH", "ALL")
    uids = found[0].split() if status == "OK" and found and found[0] else []
    made: list[bool] = []

    def fetch(uid: str) -> bytes:
        _, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple) and _UID.search(item[0]):
                return bytes(item[1])[: MAX_INPUT_BYTES + 1]
        raise KeyError(uid)

    def done(source: str) -> None:
        try:
            move(source.rsplit(":", 1)[1])
        except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"not moved to {processed!r}: {_reason(exc)}") from None

    def move(uid: str) -> None:
        if not made:
            client.create(_quoted(processed))  # an error when it exists: either way it is there
            made.append(True)
        if "MOVE" in _capabilities(client):  # RFC 6851: one command, atomic
            status, _ = client.uid("MOVE", uid, _quoted(processed))
        else:
            status, _ = client.uid("COPY", uid, _quoted(processed))
            if status == "OK":
                client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
                client.expunge()
        if status != "OK":
            raise MailboxError(f"{url}: cannot move message {uid} to {processed!r}")

    names = [uid.decode("ascii") for uid in uids]
    messages = (Incoming(f"{url}:{uid}", partial(fetch, uid)) for uid in names)
    return Mailbox(messages, done)


@contextmanager
def _pop3(
    scheme: str, host: str, port: int | None, user: str, password: str
) -> Iterator[poplib.POP3]:
    context = ssl.create_default_context()
    client: poplib.POP3
    if scheme == "pop3s":
        client = poplib.POP3_SSL(host, port or 995, context=context, timeout=TIMEOUT)
    else:
        client = poplib.POP3(host, port or 110, timeout=TIMEOUT)
        try:
            capabilities = client.capa()
        except poplib.error_proto:
            capabilities = {}
        if "STLS" not in capabilities:
            client.close()
            raise MailboxError(f"{host} offers no STLS: the password is never sent in clear")
        client.stls(context=context)
    try:
        client.user(user)
        client.pass_(password)
        yield client
        client.quit()  # deletions take effect here, and only here
    finally:
        client.close()


def _pop3_mailbox(client: poplib.POP3, url: str) -> Mailbox:
    _, listing, _ = client.uidl()
    numbers: dict[str, int] = {}
    for line in listing:
        number, _, unique = line.decode("ascii", "replace").partition(" ")
        numbers[unique] = int(number)

    def fetch(number: int) -> bytes:
        _, lines, _ = client.retr(number)
        return b"\r\n".join(lines)[: MAX_INPUT_BYTES + 1]

    def done(source: str) -> None:
        try:
            client.dele(numbers[source.rsplit(":", 1)[1]])
        except (OSError, poplib.error_proto) as exc:
            raise MailboxError(f"not deleted: {_reason(exc)}") from None

    messages = (Incoming(f"{url}:{unique}", partial(fetch, n)) for unique, n in numbers.items())
    return Mailbox(messages, done)


def _capabilities(client: imaplib.IMAP4) -> set[str]:
    """What the server offers now (after login it may offer more than before)."""
    status, data = client.capability()
    words = data[0].decode("ascii", "replace").upper().split() if status == "OK" and data else []
    return set(words) | {str(c).upper() for c in client.capabilities}


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _reason(exc: BaseException) -> str:
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{type(exc).__name__}: {text}" if isinstance(exc, OSError) else str(text)
