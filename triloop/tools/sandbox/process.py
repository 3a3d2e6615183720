"""Supervising a sandbox's host-side process: bounded output, wall-clock timeout, tree kill.

Why not ``communicate()``: a hostile program can print gigabytes or leave a child that keeps stdout
open forever. Reader threads keep at most ``limit`` bytes (and count the rest), the wait is bounded,
and on timeout or exit the backend's ``kill`` tears down the whole tree (bwrap: its PID namespace;
local: process group plus every process carrying the run's marker), which closes the pipes.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from triloop.tools.sandbox.result import ExecResult, truncate

#: After the main process exits, lingering children get this long before the tree is killed.
EXIT_GRACE_S = 0.05
#: Readers still blocked this long after the kill are abandoned (daemon threads), never waited on.
READER_JOIN_S = 2.0


@dataclass
class BoundedReader:
    """Drain a pipe in a thread, keeping the first ``limit`` bytes and counting the dropped rest."""

    stream: object
    limit: int
    data: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        read = self.stream.read1 if hasattr(self.stream, "read1") else self.stream.read  # type: ignore[attr-defined]
        try:
            while chunk := read(65536):
                room = self.limit - len(self.data)
                if room > 0:
                    self.data += chunk[:room]
                self.dropped += max(0, len(chunk) - max(room, 0))
        except (OSError, ValueError):
            pass

    def text(self) -> tuple[str, bool]:
        return truncate(bytes(self.data), self.limit, self.dropped)


def supervise(
    proc: subprocess.Popen[bytes],
    *,
    stdin_data: bytes | None,
    timeout: float,
    limit: int,
    kill: Callable[[], None],
    started: float | None = None,
) -> ExecResult:
    """Feed ``stdin_data``, wait at most ``timeout`` seconds, then kill the tree and collect output."""
    started = time.monotonic() if started is None else started
    out = BoundedReader(proc.stdout, limit)
    err = BoundedReader(proc.stderr, limit)
    if proc.stdin is not None:
        try:
            if stdin_data:
                proc.stdin.write(stdin_data)
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
    # Popen.wait(timeout) polls with sleeps of up to 50 ms; a blocking wait in a thread plus an
    # Event gives an exact wake-up, which is most of a warm run's latency budget.
    exited = threading.Event()
    threading.Thread(target=lambda: (proc.wait(), exited.set()), daemon=True).start()
    timed_out = not exited.wait(max(0.0, timeout - (time.monotonic() - started)))
    duration = time.monotonic() - started
    if not timed_out:
        # Children that kept stdout open get a moment to finish writing, then die with the tree.
        out.thread.join(EXIT_GRACE_S)
    kill()
    proc.wait()
    for reader in (out, err):
        reader.thread.join(READER_JOIN_S)
    stdout, out_cut = out.text()
    stderr, err_cut = err.text()
    code = proc.returncode
    return ExecResult(
        stdout=stdout,
        stderr=stderr,
        exit_code=None if timed_out else _exit_code(code),
        timed_out=timed_out,
        duration_s=duration,
        stdout_truncated=out_cut,
        stderr_truncated=err_cut,
    )


def _exit_code(returncode: int) -> int:
    """Shell convention: killed by signal N -> 128 + N."""
    return 128 - returncode if returncode < 0 else returncode
