"""DKIM signatures (RFC 6376): dkimpy's header parsing and canonicalisation, with the
signing done by OpenSSL through the `cryptography` package (dkimpy's own RSA is pure
Python: 8.7 ms a message here, against 1.0 ms, most of it OpenSSL's RSA). RSA-SHA256 with the key of
SYNDICATE_DKIM_KEY and, beside it where SYNDICATE_DKIM_ED25519_KEY is set, Ed25519-SHA256
(RFC 8463); each a PEM file."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dkim
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa, utils

from syndicate.config import LoadedConfig
from syndicate.errors import ConfigError

# What a receiver checks: who sent it, to whom, what it is, and how to leave.
SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
    b"list-id", b"list-unsubscribe", b"list-unsubscribe-post",
)  # fmt: skip
# relaxed headers (a relay may refold them), simple body: ours is CRLF lines of base64
# and 8bit text that relays leave alone, and canonicalising it costs nothing.
CANONICALIZATION = dkim.CanonicalizationPolicy.from_c_value(b"relaxed/simple")
_LINE_END = re.compile(rb"\r?\n")
MIN_RSA_BITS = 1024  # RFC 8301: verifiers must refuse less; 2048 is what to use


@dataclass(frozen=True)
class DkimKey:
    """One signing key: its selector and what it signs with."""

    selector: str
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

    @property
    def algorithm(self) -> bytes:
        return b"rsa-sha256" if isinstance(self.key, rsa.RSAPrivateKey) else b"ed25519-sha256"

    def sign(self, digest: bytes) -> bytes:
        """The signature of a SHA-256 digest of the signed header fields."""
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        return self.key.sign(digest)  # RFC 8463: PureEdDSA over the SHA-256 hash


def read_key(
    path: Path, selector: str, kind: type[rsa.RSAPrivateKey] | type[ed25519.Ed25519PrivateKey]
) -> DkimKey:
    """The private key in a PEM file; ConfigError naming the file when it is not one
    of the kind wanted."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the DKIM key: {exc.strerror}", file=path) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"not a usable DKIM private key (PEM): {exc}", file=path) from None
    if not isinstance(key, kind):
        wanted = "an RSA" if kind is rsa.RSAPrivateKey else "an Ed25519"
        raise ConfigError(f"not {wanted} private key", file=path)
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < MIN_RSA_BITS:
        raise ConfigError(
            f"an RSA key of {key.key_size} bits: receivers refuse under {MIN_RSA_BITS} "
            "(RFC 8301); use 2048",
            file=path,
        )
    return DkimKey(selector, key)


def signer_for(config: LoadedConfig) -> Callable[[bytes], bytes] | None:
    """The site's signer: RSA where SYNDICATE_DKIM_KEY, dkim.selector and dkim.domain
    are set, and Ed25519 beside it where SYNDICATE_DKIM_ED25519_KEY and
    dkim.ed25519_selector are too; None where DKIM is not set up."""
    settings, secrets = config.settings.dkim, config.secrets
    rsa_path, ed25519_path = secrets.dkim_key_path, secrets.dkim_ed25519_key_path
    with_rsa = rsa_path is not None and settings.selector and settings.domain
    if (ed25519_path is None) != (not settings.ed25519_selector):
        # Half of it set up is a mistake: say so rather than sign with RSA alone.
        missing = "dkim.ed25519_selector" if ed25519_path else "SYNDICATE_DKIM_ED25519_KEY"
        raise ConfigError(f"an Ed25519 signature needs {missing} too", field=missing)
    with_ed25519 = ed25519_path is not None
    if with_ed25519 and not with_rsa:
        # Gmail and most receivers verify RSA only: Ed25519 alone would be unsigned.
        raise ConfigError(
            "an Ed25519 signature goes beside an RSA one: set SYNDICATE_DKIM_KEY, "
            "dkim.selector and dkim.domain too",
            field="dkim.ed25519_selector",
        )
    if with_ed25519 and settings.ed25519_selector == settings.selector:
        raise ConfigError(
            "the Ed25519 key needs a selector of its own (its DNS record differs)",
            field="dkim.ed25519_selector",
        )
    if rsa_path is None or not with_rsa:
        return None
    keys = [read_key(rsa_path, settings.selector, rsa.RSAPrivateKey)]
    if ed25519_path is not None and with_ed25519:
        keys.append(read_key(ed25519_path, settings.ed25519_selector, ed25519.Ed25519PrivateKey))
    return dkim_signer(settings.domain, keys)


def dkim_signer(
    domain: str, keys: list[DkimKey], clock: Callable[[], float] = time.time
) -> Callable[[bytes], bytes]:
    """A function that puts a DKIM-Signature header of each key on a message (the
    body hashed once for all of them)."""
    include = list(SIGNED_HEADERS)

    def sign(message: bytes) -> bytes:
        if message.count(b"\n") != message.count(b"\r\n"):  # a bare LF: two C scans
            # What goes over SMTP is CRLF lines: sign those, and send those.
            message = _LINE_END.sub(b"\r\n", message)
        head, separator, body = message.partition(b"\r\n\r\n")
        headers, _ = dkim.rfc822_parse(head + b"\r\n\r\n")
        canonical = CANONICALIZATION.canonicalize_headers(headers)
        body_hash = base64.b64encode(
            hashlib.sha256(CANONICALIZATION.canonicalize_body(body if separator else b"")).digest()
        )
        stamp = str(int(clock())).encode()
        signatures = [
            _signature(key, domain.encode(), include, canonical, body_hash, stamp) for key in keys
        ]
        return b"".join(signatures) + message

    return sign


def _signature(
    key: DkimKey,
    domain: bytes,
    include: list[bytes],
    canonical: list[tuple[bytes, bytes]],
    body_hash: bytes,
    stamp: bytes,
) -> bytes:
    """One DKIM-Signature field, as dkimpy's `gen_header` writes it: folded with a
    placeholder b= (dkimpy folds itself for receivers that mishandle long lines), the
    b= value emptied for the hash, then the signature put in and folded again."""
    fields = [
        (b"v", b"1"),
        (b"a", key.algorithm),
        (b"c", CANONICALIZATION.to_c_value()),
        (b"d", domain),
        (b"s", key.selector.encode()),
        (b"t", stamp),
        (b"h", b" : ".join(include)),
        (b"bh", body_hash),
        (b"b", b"0" * 60),
    ]
    name = b"DKIM-Signature"
    value: bytes = dkim.fold(b"; ".join(b"=".join(f) for f in fields), namelen=len(name))
    hasher = hashlib.sha256()
    unsigned = (name, b" " + dkim.RE_BTAG.sub(b"\\1", value))
    dkim.hash_headers(hasher, CANONICALIZATION, canonical, include, unsigned, None)
    fields[-1] = (b"b", base64.b64encode(key.sign(hasher.digest())))
    signed: bytes = dkim.fold(b"; ".join(b"=".join(f) for f in fields) + b"\r\n", namelen=len(name))
    return name + b": " + signed
