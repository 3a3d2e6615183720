"""local backend: a plain subprocess with rlimits, a scrubbed environment and its own session.

NO isolation of files or network: only for users who opt in explicitly (``--unsafe-local`` /
``unsafe_local=True``), and it warns every time it is created. Every process of a run carries a
marker variable so the tree (even ``setsid`` grandchildren that left the process group) can be found
in /proc and killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import uuid
import warnings
from pathlib import Path

from triloop.tools.sandbox.errors import BackendUnavailableError
from triloop.tools.sandbox.settings import Limits, SandboxSettings
from triloop.tools.sandbox.subproc import SubprocessSandbox, prlimit_prefix

MARKER = "TRILOOP_SANDBOX_RUN"


class UnsafeLocalWarning(UserWarning):
    """The local backend does not isolate files or network."""


class LocalSandbox(SubprocessSandbox):
    name = "local"

    def __init__(self, settings: SandboxSettings | None = None) -> None:
        super().__init__(settings)
        if not self.settings.unsafe_local:
            raise BackendUnavailableError(
                "the local backend has no file or network isolation; opt in with --unsafe-local "
                "(TRILOOP_SANDBOX__UNSAFE_LOCAL=true)"
            )
        warnings.warn(
            "local sandbox backend: code runs on the host WITHOUT file or network isolation",
            UnsafeLocalWarning,
            stacklevel=2,
        )
        self._marker = uuid.uuid4().hex

    def _env(self) -> dict[str, str]:
        env = super()._env()
        env[MARKER] = self._marker
        return env

    def _popen_kwargs(self, workspace: Path) -> dict[str, object]:
        return {"cwd": str(workspace)}

    def _wrap(self, argv: list[str], workspace: Path, limits: Limits, timeout: float) -> list[str]:
        return [*prlimit_prefix(limits, timeout), *argv]

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        super()._kill(proc)
        needle = f"{MARKER}={self._marker}".encode()
        for _ in range(3):  # repeat: a process may fork while we scan
            for pid in _pids():
                if pid == os.getpid():
                    continue
                with contextlib.suppress(OSError):
                    environ = Path(f"/proc/{pid}/environ").read_bytes()
                    if needle in environ.split(b"\0"):
                        os.kill(pid, signal.SIGKILL)


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]
