"""A PostgreSQL server of the test run's own: initdb and pg_ctl (Debian's `postgresql`
package) into a temporary folder, on a free port of 127.0.0.1, stopped at the end.

PostgreSQL refuses to run as root, and CI runs as root: there the server runs as the
`postgres` system user that the package creates, on a folder that user owns. Clients
log in over TCP as `syndicate`, with a password (scram-sha-256), as a real site does.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg

PASSWORD = "test-password-not-a-secret"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl: Debian keeps them per version, off PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One server; `database()` makes a fresh, empty database for one test."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="syndicate-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self.folder.chmod(0o755)
        password_file = self.folder / "pw"
        password_file.write_text(PASSWORD)
        if self.as_root:
            shutil.chown(password_file, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={password_file}",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        self.start()
        self.admin(f"CREATE ROLE syndicate LOGIN CREATEDB PASSWORD '{PASSWORD}'")

    def _run(self, tool: str, *args: str) -> None:
        command: Sequence[str] = [str(self.bin_dir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.folder, timeout=120)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w",
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Every connection is cut, then the server is back on the same port."""
        self.stop("immediate")
        self.start()

    def admin(self, sql: str, *params: object) -> None:
        with psycopg.connect(self.url("postgres", user="postgres"), autocommit=True) as db:
            db.execute(sql, params or None)  # type: ignore[arg-type]

    def url(self, database: str, *, user: str = "syndicate", password: bool = True) -> str:
        secret = f":{PASSWORD}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A fresh database owned by `syndicate`; its URL, password included."""
        name = "t_" + uuid.uuid4().hex[:16]
        self.admin(f"CREATE DATABASE {name} OWNER syndicate TEMPLATE template0")
        return self.url(name)

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
