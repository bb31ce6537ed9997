"""DKIM (RFC 6376) signed by OpenSSL: RSA-SHA256 and, beside it, Ed25519-SHA256 (RFC
8463). Every message verifies with dkimpy and, for RSA, with a second implementation,
Perl's Mail::DKIM (Debian's libmail-dkim-perl), given the public keys directly (no
DNS); a change to the message breaks both signatures; bad keys are one clear error."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from syndicate.config import load_config
from syndicate.errors import ConfigError
from syndicate.mail.dkim import dkim_signer, read_key, signer_for
from tests.mail.dkim_publish import Keys, Published, pem, rsa_record
from tests.mail.smtp_site import HOST

PERL_VERIFIER = r"""
use strict; use warnings;
use Mail::DKIM::Verifier; use Mail::DKIM::PublicKey;
no warnings 'redefine';
# The public key from the environment, not from DNS.
*Mail::DKIM::PublicKey::fetch_async = sub {
    my ($class, %p) = @_;
    my $success = ($p{Callbacks} || {})->{Success} || sub { $_[0] };
    my $key = $class->parse($ENV{DKIM_RECORD});
    $key->{Selector} = $p{Selector}; $key->{Domain} = $p{Domain};
    $key->check;
    return sub { $success->($key) };
};
local $/; my $message = <STDIN>;
my $verifier = Mail::DKIM::Verifier->new();
$verifier->PRINT($message); $verifier->CLOSE;
print join(" ", $_->algorithm, $_->result), "\n" for $verifier->signatures;
"""
HAS_MAIL_DKIM = (
    shutil.which("perl") is not None
    and subprocess.run(["perl", "-MMail::DKIM::Verifier", "-e", "1"], check=False).returncode == 0
)
needs_mail_dkim = pytest.mark.skipif(
    not HAS_MAIL_DKIM and os.environ.get("CI") != "true",
    reason="Perl's Mail::DKIM is not installed (apt install libmail-dkim-perl)",
)


def verifies(message: bytes, index: int, dns: object) -> bool:
    """dkimpy's verdict on the message's `index`th signature."""
    try:
        return bool(dkim.DKIM(message).verify(idx=index, dnsfunc=dns))
    except dkim.ValidationError:
        return False


def mail_dkim(message: bytes, record: bytes) -> list[str]:
    """Mail::DKIM's result for each signature: 'rsa-sha256 pass', ..."""
    done = subprocess.run(
        ["perl", "-e", PERL_VERIFIER],
        input=message,
        capture_output=True,
        env={**os.environ, "DKIM_RECORD": record.decode()},
        timeout=60,
        check=True,
    )
    return done.stdout.decode().split("\n")[:-1]


def test_each_message_verifies_with_dkimpy(signed_publish: Published) -> None:
    for content in signed_publish.received:
        assert content.count(b"DKIM-Signature:") == 2
        assert b"a=rsa-sha256; c=relaxed/simple" in content
        assert b"a=ed25519-sha256; c=relaxed/simple" in content
        for index in (0, 1):  # the RSA signature, then the Ed25519 one
            assert verifies(content, index, signed_publish.dns)
    # One changed letter of the body, or of a signed header: neither signature holds.
    for changed in signed_publish.tampered():
        assert not any(verifies(changed, i, signed_publish.dns) for i in (0, 1))


@needs_mail_dkim
def test_each_message_verifies_with_mail_dkim(signed_publish: Published) -> None:
    # Debian's Mail::DKIM (1.20230212) knows no Ed25519: only RSA is asked of it.
    for content in signed_publish.received:
        assert "rsa-sha256 pass" in mail_dkim(content, signed_publish.rsa_record)
    for changed in signed_publish.tampered():
        assert "rsa-sha256 fail" in mail_dkim(changed, signed_publish.rsa_record)


def test_a_message_with_bare_line_feeds_is_signed_as_it_is_sent(
    tmp_path: Path, dkim_keys: Keys
) -> None:
    rsa_key, _ = dkim_keys
    key = read_key(pem(rsa_key, tmp_path / "rsa.pem"), "s1", rsa.RSAPrivateKey)
    sign = dkim_signer(HOST, [key], clock=lambda: 1_796_000_000)
    signed = sign(b"From: a@news.example.com\nSubject: x\n\nHello\nthere\n")
    assert b"\r\n\r\nHello\r\nthere\r\n" in signed  # CRLF, as SMTP carries it
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: rsa_record(rsa_key))


def test_a_header_folded_differently_by_a_relay_still_verifies(
    tmp_path: Path, dkim_keys: Keys
) -> None:
    rsa_key, _ = dkim_keys
    key = read_key(pem(rsa_key, tmp_path / "rsa.pem"), "s1", rsa.RSAPrivateKey)
    sign = dkim_signer(HOST, [key], clock=lambda: 1_796_000_000)  # 2026-11-30
    message = (
        b"From: Courier <digest@news.example.com>\r\nTo: ana@example.org\r\n"
        b"Subject: Harbour  Courier digest\r\nDate: Mon, 7 Dec 2026 08:00:00 +0000\r\n"
        b"Message-ID: <1@news.example.com>\r\n\r\nHello Ana,\r\n"
    )
    signed = sign(message)
    assert b"t=1796000000;" in signed
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: rsa_record(rsa_key))
    refolded = signed.replace(b"Subject: Harbour  Courier", b"Subject: Harbour\r\n Courier")

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return rsa_record(rsa_key)

    assert dkim.verify(refolded, dnsfunc=dns)  # relaxed headers: as the RFC means


def test_bad_keys_are_one_clear_error(tmp_path: Path, dkim_keys: Keys) -> None:
    rsa_key, ed_key = dkim_keys
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    with pytest.raises(ConfigError, match="not a usable DKIM private key"):
        read_key(not_pem, "s1", rsa.RSAPrivateKey)
    with pytest.raises(ConfigError, match="not an RSA private key"):
        read_key(pem(ed_key, tmp_path / "ed.pem"), "s1", rsa.RSAPrivateKey)
    with pytest.raises(ConfigError, match="not an Ed25519 private key"):
        read_key(pem(rsa_key, tmp_path / "rsa.pem"), "e1", ed25519.Ed25519PrivateKey)
    small = tmp_path / "small.pem"  # cryptography makes none under 1,024 bits: OpenSSL does
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:768",
         "-out", str(small)],
        check=True, capture_output=True,
    )  # fmt: skip
    with pytest.raises(ConfigError, match="768 bits"):
        read_key(small, "s1", rsa.RSAPrivateKey)
    with pytest.raises(ConfigError, match="cannot read the DKIM key"):
        read_key(tmp_path / "missing.pem", "s1", rsa.RSAPrivateKey)


def test_ed25519_alone_is_refused(tmp_path: Path, dkim_keys: Keys) -> None:
    (tmp_path / "syndicate.toml").write_text(
        f'[dkim]\ndomain = "{HOST}"\ned25519_selector = "e1"\n', "utf-8"
    )
    environ = {"SYNDICATE_DKIM_ED25519_KEY": str(pem(dkim_keys[1], tmp_path / "ed.pem"))}
    with pytest.raises(ConfigError) as raised:
        signer_for(load_config(tmp_path, environ))
    assert raised.value.problem.field == "dkim.ed25519_selector"
    (tmp_path / "syndicate.toml").write_text(f'[dkim]\ndomain = "{HOST}"\n', "utf-8")
    assert signer_for(load_config(tmp_path, {})) is None  # no keys: nothing signed


@pytest.mark.parametrize(
    ("table", "with_key", "field"),
    [
        ('selector = "s1"\ned25519_selector = "e1"', False, "SYNDICATE_DKIM_ED25519_KEY"),
        ('selector = "s1"', True, "dkim.ed25519_selector"),
        ('selector = "s1"\ned25519_selector = "s1"', True, "dkim.ed25519_selector"),
    ],
)
def test_half_an_ed25519_setup_is_an_error(
    tmp_path: Path,
    dkim_keys: Keys,
    table: str,
    with_key: bool,
    field: str,
) -> None:
    (tmp_path / "syndicate.toml").write_text(f'[dkim]\ndomain = "{HOST}"\n{table}\n', "utf-8")
    environ = {"SYNDICATE_DKIM_KEY": str(pem(dkim_keys[0], tmp_path / "rsa.pem"))}
    if with_key:
        environ["SYNDICATE_DKIM_ED25519_KEY"] = str(pem(dkim_keys[1], tmp_path / "ed.pem"))
    with pytest.raises(ConfigError) as raised:
        signer_for(load_config(tmp_path, environ))
    assert raised.value.problem.field == field
