"""The one interface every backend implements: :class:`Sandbox`.

``execute`` does the backend-independent part (validate input, choose a workspace, write files,
diff the workspace); a backend implements ``_run`` (one execution, optionally on a warm entry from
its pool) and ``open_session`` (a persistent Python kernel inside the sandbox).
"""

from __future__ import annotations

import shlex
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from triloop.tools.sandbox.errors import SandboxInputError
from triloop.tools.sandbox.pool import WarmPool
from triloop.tools.sandbox.result import ExecResult
from triloop.tools.sandbox.settings import Limits, SandboxSettings
from triloop.tools.sandbox.workspace import (
    changed,
    make_workspace,
    prepare_workspace,
    remove_workspace,
    snapshot,
    write_files,
)

if TYPE_CHECKING:
    from triloop.tools.sandbox.session import Session

#: Name of the file ``code`` is written to inside the workspace.
MAIN_FILE = "main.py"
#: Where the workspace appears inside docker/bwrap sandboxes.
SANDBOX_WORKDIR = "/workspace"


@dataclass(frozen=True)
class Job:
    """One execution request, validated."""

    argv: list[str]
    python_file: str | None  # set when the job is "run this python file" (warm workers run it in-process)
    timeout: float
    limits: Limits


class Sandbox(ABC):
    """A place to run untrusted code. Use as a context manager so warm entries are cleaned up."""

    name: ClassVar[str]

    def __init__(self, settings: SandboxSettings | None = None) -> None:
        self.settings = settings or SandboxSettings()
        self._pool: WarmPool[Any] | None = None
        self._closed = False

    # -- public API --------------------------------------------------------------------------------

    def execute(
        self,
        code: str | None = None,
        *,
        command: str | list[str] | None = None,
        files: dict[str, str | bytes] | None = None,
        timeout: float | None = None,
        limits: Limits | None = None,
        workspace: Path | str | None = None,
    ) -> ExecResult:
        """Run ``code`` (Python, written to ``main.py``) or ``command`` (argv list, or a shell string).

        ``workspace`` is a host directory mounted read-write at /workspace; without one a fresh
        throw-away workspace is used (and a warm sandbox from the pool when one is ready). The pool
        (``settings.pool_size`` entries) starts on the first call; ``close()`` ends it.
        """
        job = self._job(code, command, timeout, limits)
        if self._pool is None and self.settings.pool_size > 0 and not self._closed:
            self.start_pool()  # lazily: a sandbox that never runs anything keeps nothing warm
        all_files = dict(files or {})
        if code is not None:
            all_files[MAIN_FILE] = code
        warm = None
        if workspace is not None:
            ws = prepare_workspace(Path(workspace))
        else:
            warm = self._take_warm(job)
            ws = self._warm_workspace(warm) if warm is not None else make_workspace()
        try:
            write_files(ws, all_files)
            before = snapshot(ws)
            started = time.monotonic()
            result = self._run(job, ws, warm)
            result.duration_s = result.duration_s or time.monotonic() - started
            result.files_changed = changed(before, snapshot(ws))
        finally:
            if warm is not None:
                self._release_warm(warm)
                if self._pool is not None:
                    self._pool.refill()
            elif workspace is None:
                remove_workspace(ws)
        result.backend = self.name
        return result

    def open_session(self, workspace: Path | str | None = None) -> Session:
        """A persistent Python session (see :mod:`triloop.tools.sandbox.session`)."""
        from triloop.tools.sandbox.session import Session

        return Session(self, Path(workspace) if workspace is not None else None)

    def close(self) -> None:
        """Destroy the warm pool (if any). The sandbox still runs cold afterwards."""
        self._closed = True
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- pool --------------------------------------------------------------------------------------

    def start_pool(self, size: int | None = None) -> WarmPool[Any]:
        """Start (or return) the warm pool; ``execute`` uses it for jobs with default limits."""
        if self._pool is None:
            self._pool = WarmPool(
                size if size is not None else self.settings.pool_size,
                self._create_warm,
                self._destroy_warm,
                self.settings.pool_idle_s,
            )
        return self._pool

    def _take_warm(self, job: Job) -> Any:
        # Warm entries were started with the default limits (bwrap: CPU seconds from the default
        # timeout), so only jobs within those use them.
        if (
            self._pool is None
            or job.limits != self.settings.limits()
            or job.timeout > self.settings.timeout_s
        ):
            return None
        return self._pool.take()

    # -- backend hooks -----------------------------------------------------------------------------

    @abstractmethod
    def _run(self, job: Job, workspace: Path, warm: Any) -> ExecResult:
        """Run ``job`` with ``workspace`` at /workspace; consume and destroy ``warm`` if given."""

    def _create_warm(self) -> Any:
        raise NotImplementedError(f"{self.name} has no warm pool")

    def _destroy_warm(self, entry: Any) -> None:
        raise NotImplementedError

    def _release_warm(self, entry: Any) -> None:
        """After a run on ``entry`` (and the workspace diff): release it. Entries are single-use."""
        self._destroy_warm(entry)

    def _warm_workspace(self, entry: Any) -> Path:
        return entry.workspace

    @abstractmethod
    def spawn_worker(self, workspace: Path | None, mode: str) -> Any:
        """Start the stdlib worker (:mod:`.worker`) in ``mode`` ("once"/"session") on ``workspace``
        (a fresh one it owns when None); also ``kill_worker(handle)`` must release it."""

    @abstractmethod
    def kill_worker(self, handle: Any) -> bool:
        """Kill a worker's sandbox (tree included); True if it had been OOM-killed."""

    # -- helpers -----------------------------------------------------------------------------------

    def _job(
        self, code: str | None, command: str | list[str] | None, timeout: float | None, limits: Limits | None
    ) -> Job:
        if (code is None) == (command is None):
            raise SandboxInputError("give exactly one of code (Python source) or command")
        if timeout is not None and timeout <= 0:
            raise SandboxInputError(f"timeout must be positive, got {timeout}")
        if code is not None:
            argv, pyfile = [self.settings.python, MAIN_FILE], MAIN_FILE
        elif isinstance(command, str):
            if not command.strip():
                raise SandboxInputError("command is empty")
            argv, pyfile = ["/bin/sh", "-c", command], None
        else:
            argv, pyfile = list(command or []), None
            if not argv:
                raise SandboxInputError("command is empty")
            if len(argv) == 2 and argv[0] in ("python", "python3") and argv[1].endswith(".py"):
                pyfile = argv[1]
        return Job(argv, pyfile, timeout or self.settings.timeout_s, self.settings.limits(limits))


def describe(argv: list[str]) -> str:
    return shlex.join(argv)
