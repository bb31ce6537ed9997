"""DKIM signatures (dkimpy), with the key from SYNDICATE_DKIM_KEY's PEM file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dkim

from syndicate.errors import ConfigError

# What a receiver checks: who sent it, to whom, what it is, and how to leave.
SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
    b"list-id", b"list-unsubscribe", b"list-unsubscribe-post",
)  # fmt: skip


def dkim_signer(key_path: Path, selector: str, domain: str) -> Callable[[bytes], bytes]:
    """A function that puts a DKIM-Signature header on a message."""
    try:
        key = key_path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the DKIM key: {exc.strerror}", file=key_path) from None
    try:
        dkim.sign(b"From: a@b.example\r\n\r\nx\r\n", selector.encode(), domain.encode(), key)
    except dkim.DKIMException as exc:
        raise ConfigError(f"not a usable DKIM private key (PEM): {exc}", file=key_path) from None

    def sign(message: bytes) -> bytes:
        signature = dkim.sign(
            message, selector.encode(), domain.encode(), key, include_headers=list(SIGNED_HEADERS)
        )
        return bytes(signature) + message

    return sign
