"""The same signed digests, verified by a second implementation that knows Ed25519:
npm's mailauth (pinned in tests/package.json, installed by `make test`), in Node.js,
given the key records directly (no DNS)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.mail.dkim_publish import Published

TESTS = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).with_name("mailauth_verify.cjs")
HAS_MAILAUTH = shutil.which("node") is not None and (TESTS / "node_modules" / "mailauth").is_dir()
pytestmark = pytest.mark.skipif(
    not HAS_MAILAUTH and os.environ.get("CI") != "true",
    reason="Node.js or mailauth missing (make test installs it where npm is)",
)


def mailauth(
    message: bytes, records: dict[bytes, bytes], folder: Path
) -> list[tuple[str, str, str]]:
    """mailauth's (algorithm, result, comment) for each signature of `message`."""
    path = folder / "message.eml"
    path.write_bytes(message)
    named = {name.decode().rstrip("."): record.decode() for name, record in records.items()}
    done = subprocess.run(
        ["node", str(SCRIPT), str(path), json.dumps(named)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return [(r["algo"], r["result"], r["comment"]) for r in json.loads(done.stdout)]


def test_each_message_verifies_with_mailauth_rsa_and_ed25519(
    signed_publish: Published,
    tmp_path: Path,
) -> None:
    for content in signed_publish.received:
        results = mailauth(content, signed_publish.records, tmp_path)
        assert [(algo, result) for algo, result, _ in results] == [
            ("rsa-sha256", "pass"),
            ("ed25519-sha256", "pass"),
        ]
    body, subject = signed_publish.tampered()
    # A changed body: mailauth says neutral, naming the body hash (RFC 6376 6.1.3 leaves
    # the word to the verifier); a changed signed header: the signature fails.
    assert mailauth(body, signed_publish.records, tmp_path) == [
        ("rsa-sha256", "neutral", "body hash did not verify"),
        ("ed25519-sha256", "neutral", "body hash did not verify"),
    ]
    results = mailauth(subject, signed_publish.records, tmp_path)
    assert [(algo, result) for algo, result, _ in results] == [
        ("rsa-sha256", "fail"),
        ("ed25519-sha256", "fail"),
    ]


def test_mailauth_fails_a_signature_made_with_another_key(
    signed_publish: Published,
    tmp_path: Path,
) -> None:
    # The records swapped round: neither signature matches the key it names.
    swapped = dict(
        zip(signed_publish.records, reversed(signed_publish.records.values()), strict=True)
    )
    results = mailauth(signed_publish.received[0], swapped, tmp_path)
    assert len(results) == 2 and "pass" not in [result for _, result, _ in results]
