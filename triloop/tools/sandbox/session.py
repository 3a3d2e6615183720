"""Persistent Python sessions: a worker inside the sandbox keeps one namespace across calls.

For ML experiments an agent loads data once and iterates. Each call has a wall-clock timeout; on a
timeout or a worker crash the sandbox is killed and a fresh worker started, and the result says so
(``restarted=True`` plus a note) because the namespace is gone. The workspace survives restarts.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from triloop.tools.sandbox.channel import EOF_MARK, LineChannel, PipeChannel
from triloop.tools.sandbox.errors import SessionError
from triloop.tools.sandbox.result import ExecResult, truncate
from triloop.tools.sandbox.workspace import changed, make_workspace, remove_workspace, snapshot

READY_TIMEOUT_S = 60.0
RESTART_NOTE = "session restarted: {why}; all variables and imports are lost, re-run setup code"


class Session:
    """Use as a context manager: ``with sandbox.open_session() as s: s.run("x = 1"); s.run("print(x)")``."""

    def __init__(self, sandbox: Any, workspace: Path | None = None) -> None:
        self.sandbox = sandbox
        self._owns_ws = workspace is None
        self.workspace = make_workspace() if workspace is None else workspace
        self._handle: Any = None
        self._channel: LineChannel | None = None
        self.restarts = 0
        self._start()

    def _start(self) -> None:
        self._handle = self.sandbox.spawn_worker(self.workspace, "session")
        if hasattr(self.sandbox, "worker_channel"):
            self._channel = self.sandbox.worker_channel(self._handle)
        else:
            proc = self._handle.proc
            self._channel = PipeChannel(proc.stdin, proc.stdout, proc.stderr).start()
        line = self._channel.readline(READY_TIMEOUT_S)
        if not line or not json.loads(line).get("ready"):
            tail = bytes(self._channel.stderr_tail).decode(errors="replace")[-500:]
            self._kill()
            raise SessionError(f"session worker did not start on {self.sandbox.name}: {tail or 'no output'}")

    def _kill(self) -> bool:
        oom = False
        if self._handle is not None:
            oom = bool(self.sandbox.kill_worker(self._handle))
            self._handle = None
        return oom

    def run(self, code: str, timeout: float | None = None) -> ExecResult:
        """Run ``code`` in the session's namespace; output of the last call only."""
        if self._channel is None:
            raise SessionError("session is closed")
        timeout = timeout or self.sandbox.settings.timeout_s
        limit = self.sandbox.settings.output_limit_bytes
        before = snapshot(self.workspace)
        started = time.monotonic()
        try:
            self._channel.write((json.dumps({"code": code, "limit": limit}) + "\n").encode())
            line = self._channel.readline(timeout)
        except OSError:
            line = EOF_MARK
        duration = time.monotonic() - started
        base = {"backend": self.sandbox.name, "duration_s": duration}
        if line is None or line == EOF_MARK:
            timed_out = line is None
            stderr_tail = bytes(self._channel.stderr_tail).decode(errors="replace")[-2000:]
            code = None if timed_out else self._worker_exit_code()
            oom = self._kill()
            why = (
                f"timed out after {timeout:g}s"
                if timed_out
                else "the worker died" + (" (out of memory)" if oom else "")
            )
            self._restart()
            return ExecResult(
                stderr=stderr_tail,
                exit_code=code,
                timed_out=timed_out,
                oom_killed=oom,
                restarted=True,
                note=RESTART_NOTE.format(why=why),
                files_changed=changed(before, snapshot(self.workspace)),
                **base,
            )
        reply = json.loads(line)
        stdout, out_cut = truncate(reply["stdout"].encode(), limit, reply["stdout_dropped"])
        stderr, err_cut = truncate(reply["stderr"].encode(), limit, reply["stderr_dropped"])
        return ExecResult(
            stdout=stdout,
            stderr=stderr,
            exit_code=1 if reply["error"] else 0,
            stdout_truncated=out_cut,
            stderr_truncated=err_cut,
            files_changed=changed(before, snapshot(self.workspace)),
            **base,
        )

    def _worker_exit_code(self) -> int | None:
        if hasattr(self.sandbox, "worker_exit_code"):
            return self.sandbox.worker_exit_code(self._handle)
        try:
            return self._handle.proc.wait(timeout=1.0)
        except Exception:
            return None

    def _restart(self) -> None:
        self.restarts += 1
        self._channel = None
        self._start()

    def close(self) -> None:
        self._kill()
        self._channel = None
        if self._owns_ws:
            with contextlib.suppress(Exception):
                remove_workspace(self.workspace)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
