"""A real Dovecot (Debian's dovecot-imapd and dovecot-pop3d) for the mailbox tests: a
config in a folder of its own, free ports, TLS with a test CA, one user whose Maildir
belongs to `nobody` (Dovecot refuses mail access as root). Started by the test and
stopped after it."""

from __future__ import annotations

import mailbox
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
USER, PASSWORD = "bounces", "a-mailbox-password-for-tests"


@dataclass
class Dovecot:
    folder: Path
    ports: dict[str, int]  # imap, imaps, pop3, pop3s
    ca: Path  # the test CA's certificate, for SSL_CERT_FILE

    @property
    def maildir(self) -> mailbox.Maildir:
        return mailbox.Maildir(self.folder / "home" / USER / "Maildir", create=False)

    def deliver(self, *messages: bytes) -> None:
        box = self.maildir
        for message in messages:
            box.add(message)
        _give_to_nobody(self.folder / "home")

    def folder_messages(self, name: str = "") -> int:
        """How many messages a folder holds ("" is INBOX)."""
        base = self.folder / "home" / USER / "Maildir"
        path = base / f".{name}" if name else base
        return sum(
            len(list((path / sub).glob("*"))) for sub in ("new", "cur") if (path / sub).is_dir()
        )

    def url(self, scheme: str, folder: str = "INBOX") -> str:
        path = f"/{folder}" if scheme.startswith("imap") else ""
        return f"{scheme}://{USER}@localhost:{self.ports[scheme]}{path}"


def require_dovecot() -> None:
    """Skip where Dovecot or root is missing, except in CI, where .ci/run installs it."""
    if DOVECOT is None or os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("Dovecot must run in CI (.ci/run installs dovecot-imapd, dovecot-pop3d)")
        pytest.skip("Dovecot is not installed, or the tests do not run as root")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _give_to_nobody(path: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    for folder, dirs, files in os.walk(path):
        for name in (folder, *(os.path.join(folder, n) for n in dirs + files)):
            os.chown(name, nobody.pw_uid, nobody.pw_gid)


@contextmanager
def dovecot(*, tls: bool = True) -> Iterator[Dovecot]:
    require_dovecot()
    folder = Path(tempfile.mkdtemp(prefix="syndicate-dovecot-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        ca = trustme.CA()
        cert = ca.issue_cert("localhost")
        cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
        ca.cert_pem.write_to_path(str(folder / "ca.pem"))
        (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (folder / "home" / USER).mkdir(parents=True)
        mailbox.Maildir(folder / "home" / USER / "Maildir", create=True)
        _give_to_nobody(folder / "home")
        ports = dict(zip(("imap", "imaps", "pop3", "pop3s"), _free_ports(4), strict=True))
        nobody = pwd.getpwnam("nobody")
        ssl = f"ssl = yes\nssl_cert = <{folder}/server.pem\nssl_key = <{folder}/server.pem\n"
        (folder / "dovecot.conf").write_text(
            f"""base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
{ssl if tls else "ssl = no"}
disable_plaintext_auth = {"yes" if tls else "no"}
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={nobody.pw_uid} gid={nobody.pw_gid} home={folder}/home/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1
pop3_uidl_format = %08Xu%08Xv
service imap-login {{
  inet_listener imap {{
    port = {ports["imap"]}
  }}
  inet_listener imaps {{
    port = {ports["imaps"]}
    ssl = {"yes" if tls else "no"}
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {ports["pop3"]}
  }}
  inet_listener pop3s {{
    port = {ports["pop3s"]}
    ssl = {"yes" if tls else "no"}
  }}
}}
"""
        )
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(folder / "dovecot.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(ports["imap"], process, folder)
            yield Dovecot(folder, ports, folder / "ca.pem")
        finally:
            process.terminate()
            process.wait(10)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (folder / "dovecot.log").read_text() if (folder / "dovecot.log").exists() else ""
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"dovecot stopped: {output} {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("dovecot did not start")
