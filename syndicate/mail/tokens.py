"""Signed tokens: in unsubscribe links (nobody can unsubscribe someone else), in the
VERP envelope sender (a bounce names its subscriber and edition for certain), and in
sign-up confirmations.

Every token is opaque: the subscriber's id (and the edition's), or for a sign-up the
address and the time it was asked for, sealed with an HMAC of the site's key, in
lower-case base32, which survives a mail server that folds an address's case. Nobody
can read an address out of them, and none can be made without the key. Unsubscribe and
confirmation links from before (itsdangerous's signed JSON, which carried the address)
are still read, never written.

The key is SYNDICATE_SECRET_KEY. A site without one (the demo, a first try) gets a
random key kept in `.syndicate/secret-key`, readable by its owner only, with a
warning: links signed with it stop working if that file is lost.
"""

from __future__ import annotations

import base64
import binascii
import email.policy
import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesParser

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from syndicate.config import LoadedConfig
from syndicate.errors import ConfigError, Problem

_SALT = "syndicate-unsubscribe"


def signing_key(config: LoadedConfig) -> tuple[str, Problem | None]:
    """The signing key, and a warning when it is not the environment's."""
    secret = config.secrets.secret_key
    if secret:
        return secret.get_secret_value(), None
    if config.store.shared:  # each machine would make a key of its own, that others reject
        raise ConfigError(
            "not set, and the state store is shared: every machine must sign links and "
            "tokens with the same key (any long random string, the same on each)",
            field="SYNDICATE_SECRET_KEY",
        )
    path = config.paths.secret_key
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32))
    note = Problem(
        f"SYNDICATE_SECRET_KEY is not set: unsubscribe links are signed with the key in {path}"
    )
    return path.read_text().strip(), note


_MAC_BYTES = 10  # 80 bits: forging one takes 2**80 tries at the server


def _seal(key: str, purpose: str, scope: str, plain: bytes) -> str:
    """`plain` hidden and authenticated (a synthetic-IV construction over HMAC-SHA256):
    the MAC of the plaintext, then the plaintext XORed with a stream keyed by that MAC."""
    secret = key.encode("utf-8")
    mac = hmac.new(secret, f"{purpose}\0{scope}\0".encode() + plain, hashlib.sha256).digest()
    mac = mac[:_MAC_BYTES]
    hidden = bytes(a ^ b for a, b in zip(plain, _stream(secret, mac, len(plain)), strict=True))
    return _base32(mac + hidden)


def _base32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _open(key: str, purpose: str, scope: str, token: str, longest: int = 200) -> bytes | None:
    token = token.lower()  # a server may have folded the case of the address it was in
    if not token or len(token) > longest or not _BASE32.fullmatch(token):
        return None
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        return None
    if len(raw) <= _MAC_BYTES or _base32(raw) != token:  # one spelling a token
        return None
    secret, mac = key.encode("utf-8"), raw[:_MAC_BYTES]
    hidden = raw[_MAC_BYTES:]
    plain = bytes(a ^ b for a, b in zip(hidden, _stream(secret, mac, len(hidden)), strict=True))
    expected = hmac.new(secret, f"{purpose}\0{scope}\0".encode() + plain, hashlib.sha256)
    return plain if hmac.compare_digest(expected.digest()[:_MAC_BYTES], mac) else None


def _stream(secret: bytes, mac: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(secret, b"stream\0" + mac + bytes([n]), hashlib.sha256).digest()
        for n in range(blocks)
    )[:length]


_BASE32 = re.compile(r"[a-z2-7]+")


def unsubscribe_token(key: str, subscriber_id: int, list_id: str) -> str:
    """The token of a subscriber's unsubscribe links, for one list."""
    return _seal(key, "unsubscribe", list_id, _number(subscriber_id))


def read_unsubscribe_token(key: str, token: str, list_id: str) -> int | str | None:
    """The subscriber id a token names; for a link from before tokens were opaque, the
    address it carries; None if it is forged, tampered or for another list."""
    plain = _open(key, "unsubscribe", list_id, token)
    if plain is not None:
        return int.from_bytes(plain, "big")
    try:
        value = URLSafeSerializer(key, salt=_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("l") != list_id:
        return None
    email = value.get("e")
    return email if isinstance(email, str) else None


def bounce_token(key: str, subscriber_id: int, edition_id: str) -> str:
    """The token of a VERP envelope sender: which subscriber, which edition."""
    number = _number(subscriber_id)
    return _seal(key, "bounce", "", bytes([len(number)]) + number + edition_id.encode("utf-8"))


def read_bounce_token(key: str, token: str) -> tuple[int, str] | None:
    """The subscriber id and edition a VERP token names; None if it is not one of ours."""
    plain = _open(key, "bounce", "", token)
    if plain is None or len(plain) < 1 + plain[0]:
        return None
    number, edition = plain[1 : 1 + plain[0]], plain[1 + plain[0] :]
    try:
        return int.from_bytes(number, "big"), edition.decode("utf-8")
    except UnicodeDecodeError:
        return None


def verp_address(address: str, token: str) -> str:
    """`bounces@example.com` with a token: `bounces+TOKEN@example.com`."""
    local, _, domain = address.rpartition("@")
    return f"{local}+{token}@{domain}"


def verp_token_of(address: str, verp: str) -> str | None:
    """The token of `verp` if it is `address` with one (`bounces+TOKEN@example.com`)."""
    local, _, domain = address.lower().rpartition("@")
    their_local, _, their_domain = verp.lower().rpartition("@")
    head, plus, token = their_local.partition("+")
    return token if plus and head == local and their_domain == domain else None


def _number(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


_CONFIRM_SALT = "syndicate-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600  # a week to click the confirmation link
_CONFIRM_SKEW = 300  # a token from a clock up to five minutes ahead (another instance's)
_TIME_BYTES = 5
# The MAC, the time and an address of up to 254 characters of four bytes each, in base32.
_LONGEST_CONFIRM = (_MAC_BYTES + _TIME_BYTES + 254 * 4) * 8 // 5 + 1


def confirm_token(key: str, email: str, list_id: str, now: float | None = None) -> str:
    """The token of a sign-up's confirmation link: the address and when it was asked
    for, sealed (nobody who sees the link learns the address)."""
    issued = int(time.time() if now is None else now).to_bytes(_TIME_BYTES, "big")
    return _seal(key, "confirm", list_id, issued + email.encode("utf-8"))


@dataclass(frozen=True)
class Confirmation:
    """What a sign-up's confirmation link says: the address, and when it was asked for."""

    email: str
    issued: datetime


def read_confirm_token(
    key: str, token: str, list_id: str, max_age: int = CONFIRM_MAX_AGE, now: float | None = None
) -> Confirmation | None:
    """The sign-up a confirmation link names, or None if forged, foreign or expired."""
    moment = time.time() if now is None else now
    plain = _open(key, "confirm", list_id, token, _LONGEST_CONFIRM)
    if plain is not None:
        issued = int.from_bytes(plain[:_TIME_BYTES], "big")
        if len(plain) <= _TIME_BYTES or not -_CONFIRM_SKEW <= moment - issued <= max_age:
            return None
        try:
            return Confirmation(
                plain[_TIME_BYTES:].decode("utf-8"), datetime.fromtimestamp(issued, UTC)
            )
        except UnicodeDecodeError:
            return None
    # A link mailed before confirmation tokens were sealed: good for its week.
    try:
        value, signed = URLSafeTimedSerializer(key, salt=_CONFIRM_SALT).loads(
            token, max_age=max_age, return_timestamp=True
        )
    except BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(value, dict) or value.get("l") != list_id:
        return None
    email = value.get("e")
    return Confirmation(email, signed) if isinstance(email, str) else None


def unsubscribe_mail_token(message: bytes, key: str, list_id: str) -> int | str | None:
    """Whom a message sent to the List-Unsubscribe mailto address asks to unsubscribe
    (its subject is "unsubscribe TOKEN"), as read_unsubscribe_token gives it. None if
    it names none, or a token that is forged or for another list."""
    token = unsubscribe_subject_token(message)
    return None if token is None else read_unsubscribe_token(key, token, list_id)


def unsubscribe_subject_token(message: bytes) -> str | None:
    """The token of an unsubscribe request by mail (subject "unsubscribe TOKEN"), not
    yet checked; None if the message is no such request."""
    if not _UNSUBSCRIBE_SUBJECT.search(message):  # most mail: no need to parse it
        return None
    parsed = BytesParser(policy=email.policy.default).parsebytes(message, headersonly=True)
    words = str(parsed.get("Subject", "")).split()
    if len(words) < 2 or words[0].lower() != "unsubscribe":
        return None
    return words[-1]


# A Subject header starting "unsubscribe" (or folded, or encoded: then parsed to see).
_UNSUBSCRIBE_SUBJECT = re.compile(rb"^subject:\s*(?:unsubscribe|=\?)", re.IGNORECASE | re.MULTILINE)


class VerpAddresses:
    """The VERP addresses of a site's [bounces] address: which are ours, and what the
    token of one names (None: forged or damaged)."""

    def __init__(self, address: str, key: str) -> None:
        self.address = address
        self.key = key

    def ours(self, address: str) -> bool:
        return verp_token_of(self.address, address) is not None

    def read(self, address: str) -> tuple[int, str] | None:
        token = verp_token_of(self.address, address)
        return None if token is None else read_bounce_token(self.key, token)
