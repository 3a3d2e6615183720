"""Shared machinery of the subprocess-based backends (bwrap, local).

A run is a host process wrapped by the backend (``bwrap ... prlimit ... argv`` or ``prlimit ... argv``)
in its own session, supervised by :func:`.process.supervise`. Warm entries and sessions are the
same wrapped process running :mod:`.worker` instead of the program.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from triloop.tools.sandbox import worker
from triloop.tools.sandbox.base import Job, Sandbox
from triloop.tools.sandbox.errors import SandboxStartError
from triloop.tools.sandbox.process import supervise
from triloop.tools.sandbox.result import ExecResult
from triloop.tools.sandbox.settings import Limits
from triloop.tools.sandbox.workspace import make_workspace, remove_workspace

WORKER_SOURCE = Path(worker.__file__).read_text()
WORKER_READY_TIMEOUT_S = 30.0

#: The environment a sandboxed program sees: nothing from the host.
SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}


@dataclass
class WorkerHandle:
    """A started worker process and the workspace it sees."""

    proc: subprocess.Popen[bytes]
    workspace: Path
    owns_workspace: bool
    started: float


def prlimit_prefix(limits: Limits, timeout: float) -> list[str]:
    """``prlimit`` flags: address space, CPU seconds, file size, open files, processes."""
    assert limits.memory_mb and limits.file_size_mb and limits.open_files and limits.pids and limits.cpus
    mem = limits.memory_mb * 1024 * 1024
    cpu = math.ceil(limits.cpus * timeout) + 1
    fsize = limits.file_size_mb * 1024 * 1024
    return [
        "prlimit",
        f"--as={mem}",
        f"--cpu={cpu}",
        f"--fsize={fsize}",
        f"--nofile={limits.open_files}",
        f"--nproc={limits.pids}",
        "--core=0",
        "--",
    ]


class SubprocessSandbox(Sandbox):
    """Base of bwrap/local: subclasses say how to wrap argv and how to kill the tree."""

    def _wrap(self, argv: list[str], workspace: Path, limits: Limits, timeout: float) -> list[str]:
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        return dict(SANDBOX_ENV)

    def _popen_kwargs(self, workspace: Path) -> dict[str, object]:
        return {}

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    def _spawn(
        self, argv: list[str], workspace: Path, limits: Limits, timeout: float
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self._wrap(argv, workspace, limits, timeout),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self._env(),
            start_new_session=True,
            **self._popen_kwargs(workspace),  # type: ignore[arg-type]
        )

    def _run(self, job: Job, workspace: Path, warm: WorkerHandle | None) -> ExecResult:
        if warm is None:
            started = time.monotonic()
            proc = self._spawn(job.argv, workspace, job.limits, job.timeout)
            stdin = b""
        else:
            started, proc = time.monotonic(), warm.proc
            request = {"argv": job.argv[2:] if job.python_file else job.argv, "python_file": job.python_file}
            stdin = (json.dumps(request) + "\n").encode()
        return supervise(
            proc,
            stdin_data=stdin,
            timeout=job.timeout,
            limit=self.settings.output_limit_bytes,
            kill=lambda: self._kill(proc),
            started=started,
        )

    # -- workers (warm pool, sessions) -----------------------------------------------------------

    def spawn_worker(self, workspace: Path | None, mode: str) -> WorkerHandle:
        owns = workspace is None
        ws = make_workspace() if workspace is None else workspace
        limits = self.settings.limits()
        # A session lives across calls: CPU seconds are bounded per worker lifetime, so be generous.
        timeout = self.settings.timeout_s * (20 if mode == "session" else 1)
        argv = [self.settings.python, "-u", "-c", WORKER_SOURCE, *(["session"] if mode == "session" else [])]
        proc = self._spawn(argv, ws, limits, timeout)
        return WorkerHandle(proc, ws, owns, time.monotonic())

    def kill_worker(self, handle: WorkerHandle) -> bool:
        self._kill(handle.proc)
        with contextlib.suppress(Exception):
            handle.proc.wait(timeout=5)
        for stream in (handle.proc.stdin, handle.proc.stdout, handle.proc.stderr):
            with contextlib.suppress(Exception):
                stream.close()  # type: ignore[union-attr]
        if handle.owns_workspace:
            remove_workspace(handle.workspace)
        return False  # rlimits raise MemoryError instead of an OOM kill

    def _create_warm(self) -> WorkerHandle:
        handle = self.spawn_worker(None, "once")
        assert handle.proc.stderr is not None
        ready, _, _ = select.select([handle.proc.stderr], [], [], WORKER_READY_TIMEOUT_S)
        line = handle.proc.stderr.readline() if ready else b""
        if line != worker.READY:
            self.kill_worker(handle)
            raise SandboxStartError(f"{self.name} warm worker did not start: {line[:300]!r}")
        return handle

    def _destroy_warm(self, entry: WorkerHandle) -> None:
        self.kill_worker(entry)
