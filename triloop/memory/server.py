"""Start and stop a real ``chroma run`` server: the shared mode's backend, for tests and ``triloop memory serve``.

Several workers (processes or machines) point ``MemorySettings.server_url`` at one server and share one
memory; the server owns the index, so writes from all of them land in one place.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from triloop.memory.errors import ChromaServerError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_executable() -> str:
    """The ``chroma`` CLI next to this interpreter (the venv's), else on PATH."""
    local = Path(sys.executable).with_name("chroma")
    if local.exists():
        return str(local)
    found = shutil.which("chroma")
    if not found:
        raise ChromaServerError("the `chroma` command was not found (install chromadb)")
    return found


class ChromaServer:
    """A ``chroma run --path DIR --host HOST --port PORT`` child process; a context manager."""

    def __init__(self, path: Path, host: str = "127.0.0.1", port: int | None = None, log: Path | None = None):
        self.path = Path(path)
        self.host = host
        self.port = port or free_port()
        self.log = log or self.path.with_name(self.path.name + ".chroma.log")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 60.0) -> ChromaServer:
        self.path.mkdir(parents=True, exist_ok=True)
        cmd = [
            chroma_executable(),
            "run",
            "--path",
            str(self.path),
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        with self.log.open("wb") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-500:]
                raise ChromaServerError(f"chroma run exited with {self._proc.returncode}: {tail}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ChromaServerError(
            f"chroma run on {self.url} not ready after {timeout_s:.0f}s (log: {self.log})"
        )

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
