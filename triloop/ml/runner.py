"""Where experiment scripts run: one persistent sandbox session per ML run, each experiment in a fork.

An ML run executes many short scripts that all import numpy, pandas and scikit-learn; on a small
machine those imports are a good part of each experiment's time. :class:`ExperimentSession` keeps
them loaded in a sandbox session (:mod:`triloop.tools.sandbox.session`) and runs every experiment in
a ``fork`` of that process: the imports are shared, but a script's globals, seeds, warnings filters
and working directory die with its child, so it behaves as a fresh ``python3 _harness.py`` would. A
timeout kills the session; the next experiment gets a fresh one.

:class:`OneShot` is the plain way (a new ``python3 _harness.py`` per experiment), used when no
session starts. Both hand out a workspace, run the harness program (:mod:`triloop.ml.driver`) in it
and return the sandbox's :class:`~triloop.tools.sandbox.result.ExecResult`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from triloop.ml.driver import ENTRY
from triloop.tools.sandbox.errors import SandboxError
from triloop.tools.sandbox.result import ExecResult
from triloop.tools.sandbox.workspace import clear_workspace, make_workspace, remove_workspace

PRELOAD_TIMEOUT_S = 120.0
#: What experiments import; a module the sandbox lacks is skipped (the script will say so itself).
PRELOAD = """import importlib as _importlib
for _name in ("numpy", "pandas", "scipy", "sklearn", "sklearn.ensemble", "sklearn.linear_model",
              "sklearn.model_selection", "sklearn.preprocessing", "sklearn.metrics", "sklearn.neighbors",
              "sklearn.svm", "sklearn.pipeline"):
    try:
        _importlib.import_module(_name)
    except Exception:
        pass
"""
#: Run the harness's entry program (which imports experiment.py) in the run folder __RUNDIR__, in a child
#: of the session, as `python3 _harness.py` would: its own process group, temp dir and home inside the run folder (wiped with it), fresh random
#: seeds (a fork would otherwise share the parent's), exit handlers and open files flushed at the end.
FORK_RUN = """import os as _os, sys as _sys
_sys.stdout.flush(); _sys.stderr.flush()
_pid = _os.fork()
if _pid == 0:
    _code = 0
    try:
        _os.setsid()
        _os.chdir("__RUNDIR__")
        for _var, _dir in (("TMPDIR", ".tmp"), ("HOME", ".home")):
            _os.makedirs(_dir, exist_ok=True)
            _os.environ[_var] = _os.path.abspath(_dir)
        import random as _random, tempfile as _tempfile
        _tempfile.tempdir = None
        _random.seed()
        if "numpy" in _sys.modules:
            _sys.modules["numpy"].random.seed()
        _path = _os.path.abspath("__ENTRY__")
        _sys.argv = ["__ENTRY__"]
        _sys.path.insert(0, _os.getcwd())
        _main = type(_sys)("__main__")
        _main.__file__ = _path
        _sys.modules["__main__"] = _main
        with open(_path, "rb") as _fh:
            exec(compile(_fh.read(), _path, "exec"), _main.__dict__)
    except SystemExit as _exc:
        _code = _exc.code if isinstance(_exc.code, int) else (0 if _exc.code is None else 1)
        if not isinstance(_exc.code, int) and _exc.code is not None:
            print(_exc.code, file=_sys.stderr)  # as python3 prints sys.exit("message")
    except BaseException as _exc:
        import traceback as _traceback
        _tb = _exc.__traceback__
        while _tb is not None and _tb.tb_frame.f_code.co_filename != _os.path.abspath("experiment.py"):
            _tb = _tb.tb_next  # from the script's own frame on, when it is in the traceback
        _traceback.print_exception(type(_exc), _exc, _tb or _exc.__traceback__)
        _code = 1
    finally:
        try:
            import atexit as _atexit, gc as _gc
            _atexit._run_exitfuncs()
            if "_main" in globals():  # as at interpreter exit: the script's globals go one by one, so
                _main.__dict__.clear()  # files it left open are flushed and closed in order
            _gc.collect()
        finally:
            _sys.stdout.flush(); _sys.stderr.flush()
            _os._exit(_code)
_exit = _os.waitstatus_to_exitcode(_os.waitpid(_pid, 0)[1])
try:
    _os.killpg(_pid, 9)  # what the experiment left running in the background
except OSError:
    pass
if _exit < 0:
    print(f"the experiment was killed by signal {-_exit} (SIGKILL is most often: out of memory)", file=_sys.stderr)
if _exit != 0:
    raise SystemExit(_exit)
"""


class OneShot:
    """Each experiment in a fresh ``python3 _harness.py`` in its own workspace."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    def workspace(self) -> Path:
        return make_workspace()  # reachable by the sandbox's unprivileged user

    def run(self, workspace: Path, timeout: float) -> ExecResult:
        return self.sandbox.execute(command=["python3", ENTRY], workspace=workspace, timeout=timeout)

    def release(self, workspace: Path) -> None:
        remove_workspace(workspace)

    def close(self) -> None:
        pass


class ExperimentSession:
    """A sandbox session with the heavy imports loaded; each experiment runs in a fork of it, in a
    fresh folder of the session's workspace (so nothing an earlier experiment wrote can be read)."""

    def __init__(self, sandbox: Any) -> None:
        self._sandbox = sandbox
        self._workspace = make_workspace()
        try:
            self._session = sandbox.open_session(self._workspace)
        except BaseException:
            remove_workspace(self._workspace)
            raise
        self._loaded_at = -1  # the session restart count when the imports were last loaded
        self._runs = 0
        self._fallback: OneShot | None = None  # when the session cannot come back after a failure

    def workspace(self) -> Path:
        clear_workspace(self._workspace)  # best effort: each run has its own folder anyway
        self._runs += 1
        folder = self._workspace / f"run-{self._runs:04d}"
        folder.mkdir()
        folder.chmod(0o777)  # the sandbox user writes here
        return folder

    def run(self, workspace: Path, timeout: float) -> ExecResult:
        if self._fallback is not None:
            return self._fallback.run(workspace, timeout)
        folder = workspace.relative_to(self._workspace).as_posix()
        code = FORK_RUN.replace("__RUNDIR__", folder).replace("__ENTRY__", ENTRY)
        try:
            if self._loaded_at != self._session.restarts:  # new, or restarted after a timeout
                self._session.run(PRELOAD, timeout=PRELOAD_TIMEOUT_S)
                self._loaded_at = self._session.restarts
            return self._session.run(code, timeout=timeout)
        except SandboxError:  # the worker did not come back: fresh processes from now on
            self._fallback = OneShot(self._sandbox)
            return self._fallback.run(workspace, timeout)

    def release(self, workspace: Path) -> None:
        pass

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._session.close()
        remove_workspace(self._workspace)


Runner = OneShot | ExperimentSession


def as_runner(sandbox_or_runner: Any) -> Runner:
    """A runner as given, or one-shot runs on a bare sandbox."""
    if isinstance(sandbox_or_runner, OneShot | ExperimentSession):
        return sandbox_or_runner
    return OneShot(sandbox_or_runner)


@contextmanager
def open_runner(sandbox: Any) -> Iterator[Runner]:
    """A session runner for a whole ML run, or one-shot runs when the sandbox cannot open a session."""
    try:
        runner: Runner = ExperimentSession(sandbox)
    except (SandboxError, OSError):
        runner = OneShot(sandbox)
    try:
        yield runner
    finally:
        with contextlib.suppress(Exception):
            runner.close()
