"""A real PostgreSQL server for the tests: Debian's binaries, a temporary data directory, no system service.

``initdb`` refuses to run as root, so under root the server runs as the ``postgres`` user (made by the
Debian package). ``scripts/test.sh`` installs the package; without it the tests that need it fail with
a message that says so.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg

from triloop.memory.server import free_port


def postgres_bin() -> Path | None:
    """Debian's server binaries (``/usr/lib/postgresql/<version>/bin``), newest version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(found[0]).parent if found else None


class TempPostgres:
    """``initdb`` + ``pg_ctl start`` in ``root``; ``url`` is a trust-auth URL on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError(
                "PostgreSQL is not installed: run scripts/test.sh (apt-get install postgresql)"
            )
        self.bin = bindir
        self.root = Path(root)
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/triloop"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *cmd: str) -> None:
        full = [str(self.bin / cmd[0]), *cmd[1:]]
        if self._as_postgres:
            full = ["runuser", "-u", "postgres", "--", *full]
        subprocess.run(full, check=True, capture_output=True, timeout=120)

    def start(self) -> TempPostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            os.chmod(self.root.parent, 0o755)
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "start")
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
                    conn.execute("CREATE DATABASE triloop")
                return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def fresh_database(self, name: str) -> str:
        """A new empty database on this server; its URL."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
