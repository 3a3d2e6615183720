"""A project's own tests, run in the sandbox on a throw-away copy, with the outcome of every test.

Per-test outcomes (not only "n passed") are what the regression guard needs: a patch that makes the
failing test pass but breaks one that passed before is refused. A small pytest plugin, written into
the copy, records each test's outcome in a file (the console output is cut at the sandbox's limit);
``--tb=short`` prints ``path:line: in function`` for every frame, which localisation reads. A suite
that hangs is stopped at ``timeout``: the tests it did not report count as not passed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from triloop.repo.repomap import RepoError
from triloop.tools.sandbox.base import Sandbox
from triloop.tools.sandbox.workspace import make_workspace, remove_workspace, write_files

#: Left out of the copies the tests run on: environments and caches (not ``build``/``dist``, which
#: can be ordinary package folders).
COPY_SKIP = (
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".tox",
    "*.pyc",
)
Outcome = Literal["passed", "failed", "error", "skipped"]
PLUGIN_NAME = "triloop_outcomes_plugin"
OUTCOMES_FILE = ".triloop-outcomes.jsonl"
#: A fixed hash seed: test ids built from set or dict order (``test_format[4-19-expected7-%C]``) are then
#: the same in every run, so the outcomes of two runs can be compared test by test.
PYTEST = (
    "PYTHONHASHSEED=0 python3 -m pytest -q --tb=short -p no:cacheprovider --continue-on-collection-errors "
    f"-p {PLUGIN_NAME}"
)

#: Records {node, outcome} per test phase (the host folds them: a setup error is an error, ...). With
#: TRILOOP_SPECTRUM=1 it also records which of the project's functions each test called (a profile
#: hook on calls only: cheap), for spectrum-based localisation.
PLUGIN = f"""
import json, os, sys
import pytest
_OUT = open({OUTCOMES_FILE!r}, "a", encoding="utf-8")
_ROOT = os.getcwd() + os.sep
_SPECTRUM = os.environ.get("TRILOOP_SPECTRUM") == "1"
def _write(row):
    _OUT.write(json.dumps(row) + "\\n")
    _OUT.flush()
def _project(path):
    rel = path[len(_ROOT):] if path.startswith(_ROOT) else None
    if rel is None or not rel.endswith(".py"):
        return None
    name = os.path.basename(rel)
    if name.startswith(("test_", "triloop_")) or name.endswith("_test.py") or name == "conftest.py":
        return None
    return rel
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if not _SPECTRUM:
        yield
        return
    seen = set()
    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            rel = _project(code.co_filename)
            if rel is not None:
                seen.add(f"{{rel}}:{{code.co_firstlineno}}")
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(None)
        _write({{"node": item.nodeid, "calls": sorted(seen)}})
def pytest_runtest_logreport(report):
    if report.when == "call":
        xfail = hasattr(report, "wasxfail")
        outcome = "skipped" if xfail and report.outcome != "passed" else report.outcome
        _write({{"node": report.nodeid, "outcome": outcome}})
    elif report.outcome == "failed":
        _write({{"node": report.nodeid, "outcome": "error"}})
    elif report.outcome == "skipped":
        _write({{"node": report.nodeid, "outcome": "skipped"}})
def pytest_collectreport(report):
    if report.outcome == "failed":
        _write({{"node": report.nodeid or "<collection>", "outcome": "error"}})
"""
_RANK = {"error": 3, "failed": 2, "skipped": 1, "passed": 0}


class SuiteRun(BaseModel):
    """One run of the tests: each test's outcome, the failures' tracebacks, whether it was cut off."""

    outcomes: dict[str, Outcome]
    failures: str = ""  # pytest's FAILURES/ERRORS sections (short tracebacks)
    tail: str = ""  # the last lines of the console output (the counts, or why nothing ran)
    timed_out: bool = False
    calls: dict[str, list[str]] = {}  # test -> "path:first line" of project functions it called

    def passed(self) -> set[str]:
        return {t for t, o in self.outcomes.items() if o == "passed"}

    def failing(self) -> list[str]:
        return [t for t, o in self.outcomes.items() if o in ("failed", "error")]

    def passes(self, test: str) -> bool:
        """``test`` passed; a module (a collection error's node id) passes when it now collects and all
        its tests pass."""
        if self.outcomes.get(test) == "passed":
            return True
        if "::" in test or test in self.outcomes:
            return False
        inside = [o for t, o in self.outcomes.items() if t.startswith(test + "::")]
        return bool(inside) and all(o in ("passed", "skipped") for o in inside)

    def all_pass(self, tests: Sequence[str]) -> bool:
        return bool(tests) and all(self.passes(t) for t in tests)

    def broken(self, before: SuiteRun) -> list[str]:
        """Tests that passed in ``before`` and do not pass now (a hang counts as not passing)."""
        return sorted(t for t in before.passed() if self.outcomes.get(t) != "passed")

    def failure_text(self, budget: int = 1_500) -> str:
        """What a prompt shows of the failures, cut to ``budget`` characters."""
        text = self.failures or self.tail
        if self.timed_out:
            text += "\n(the tests were stopped: they ran past the time limit)"
        return text if len(text) <= budget else text[: budget - 10] + "\n...(cut)"


def fold(lines: str) -> tuple[dict[str, Outcome], dict[str, list[str]]]:
    """The plugin's JSON lines -> ({node id: worst outcome over its phases}, {node id: functions called})."""
    outcomes: dict[str, Outcome] = {}
    calls: dict[str, list[str]] = {}
    for line in lines.splitlines():
        try:
            row = json.loads(line)
            node = str(row["node"])
            if "calls" in row:
                calls[node] = [str(c) for c in row["calls"]]
                continue
            outcome = row["outcome"]
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a kill, or written by the code under test
        if outcome in _RANK and _RANK[outcome] >= _RANK[outcomes.get(node, "passed")]:
            outcomes[node] = outcome
    return outcomes, calls


def failure_sections(output: str) -> str:
    """The ``= FAILURES =`` and ``= ERRORS =`` sections of pytest's output, without the warnings and
    the summary that follow."""
    starts = [i for i in (output.find("= ERRORS ="), output.find("= FAILURES =")) if i >= 0]
    if not starts:
        return ""
    start = output.rfind("\n", 0, min(starts)) + 1
    ends = [
        i for i in (output.find(m, start) for m in ("short test summary info", "warnings summary")) if i > 0
    ]
    end = output.rfind("\n", start, min(ends)) if ends else len(output)
    return output[start:end].strip()


def copy_project(root: Path, files: dict[str, str] | None = None) -> Path:
    """A copy of ``root`` (environments and caches left out) with ``files`` written over it, readable
    by the sandbox user; the tests may write inside it, never into ``root``. Links are copied as links,
    and no file is written through one (a linked folder could point anywhere)."""
    dest = make_workspace("triloop-repo-")
    shutil.copytree(root, dest, symlinks=True, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*COPY_SKIP))
    for rel in files or {}:
        parent = (dest / rel).parent
        while parent != dest and dest in parent.parents:
            if parent.is_symlink():
                remove_workspace(dest)
                raise RepoError(f"refusing to write {rel!r}: {parent.relative_to(dest)} is a link")
            parent = parent.parent
    write_files(dest, dict(files or {}))
    for folder, dirs, names in os.walk(dest):
        for name in [*dirs, *names]:
            path = Path(folder) / name
            if not path.is_symlink():  # chmod through a link would change its target
                path.chmod(0o777 if path.is_dir() else path.stat().st_mode | 0o666)
    return dest


def run_suite(
    sandbox: Sandbox,
    root: Path,
    files: dict[str, str] | None = None,
    *,
    args: Sequence[str] = (),
    deselect: Sequence[str] = (),
    timeout: float = 120.0,
    spectrum: bool = False,
) -> SuiteRun:
    """The tests of ``root`` with ``files`` written over a copy of it, in the sandbox; ``spectrum``
    also records the project functions each test calls."""
    copy = copy_project(root, {**(files or {}), f"{PLUGIN_NAME}.py": PLUGIN})
    try:
        words = [*args, *(f"--deselect={node}" for node in deselect)]
        command = f"{PYTEST} {shlex.join(words)}" if words else PYTEST
        if spectrum:
            command = f"TRILOOP_SPECTRUM=1 {command}"
        result = sandbox.execute(command=command, workspace=copy, timeout=timeout)
        recorded = copy / OUTCOMES_FILE
        lines = recorded.read_text(encoding="utf-8", errors="replace") if recorded.is_file() else ""
    finally:
        remove_workspace(copy)
    output = (result.stdout + "\n" + result.stderr).strip()
    outcomes, calls = fold(lines)
    return SuiteRun(
        outcomes=outcomes,
        calls=calls,
        failures=failure_sections(output)[:8_000],
        tail=output[-1_500:],
        timed_out=result.timed_out,
    )
