"""Agent-facing execution tools: ``run_python``, ``run_command``, ``run_tests``.

Each wraps an injected :class:`~triloop.tools.sandbox.base.Sandbox` (so the graph decides the backend
and the pool) and returns a :class:`ToolResult` whose text is compact enough for a prompt: exit status
first, then stdout/stderr. ``ToolSpec`` docs are what the memory stores and refines.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from triloop.tools.base import ToolResult, ToolSpec
from triloop.tools.sandbox.base import Sandbox
from triloop.tools.sandbox.errors import SandboxInputError
from triloop.tools.sandbox.result import ExecResult

RUN_PYTHON_SPEC = ToolSpec(
    name="run_python",
    signature="run_python(code: str, timeout: float = 30) -> str",
    purpose="Run a Python 3 program in a fresh, isolated sandbox and see its output.",
    arguments={
        "code": "complete Python source; it runs as main.py in the task workspace",
        "timeout": "wall-clock seconds before the program is killed",
    },
    examples=['run_python(code="print(sum(range(10)))")  -> "exit_code=0\\nstdout:\\n45"'],
    pitfalls=[
        "print what you need: only stdout/stderr come back, not the value of the last expression",
        "no network: pip install and HTTP requests fail",
        "each call is a fresh process: variables do not survive between calls",
        "output beyond the limit is cut with a marker; print summaries, not huge arrays",
    ],
)

RUN_COMMAND_SPEC = ToolSpec(
    name="run_command",
    signature="run_command(cmd: str, timeout: float = 30) -> str",
    purpose="Run a shell command (/bin/sh -c) in the task workspace inside the sandbox.",
    arguments={"cmd": "shell command line", "timeout": "wall-clock seconds before it is killed"},
    examples=['run_command(cmd="ls -la && python3 main.py")'],
    pitfalls=[
        "no network and a read-only system: apt/pip installs fail",
        "only the workspace (current directory) and /tmp are writable; /tmp is wiped after the call",
    ],
)

RUN_TESTS_SPEC = ToolSpec(
    name="run_tests",
    signature="run_tests(code: str, tests: str, timeout: float = 60) -> str",
    purpose="Check code against tests: writes code to solution.py and tests to test_solution.py and runs them.",
    arguments={
        "code": "the solution module source (importable as `solution`)",
        "tests": "test source: plain asserts at top level, or unittest.TestCase classes / test_* functions",
        "timeout": "wall-clock seconds for the whole test run",
    },
    examples=[
        'run_tests(code="def add(a, b): return a + b", tests="from solution import add\\nassert add(1, 2) == 3")'
    ],
    pitfalls=[
        "tests must import from `solution`, not define the function themselves",
        "test_* functions are run by a small built-in runner, not pytest: no fixtures",
    ],
)

#: Runs test_solution.py statement by statement: each top-level ``assert`` is one check (a failing one is
#: reported and the next still runs, so partial progress is visible); any other statement is set-up, and
#: its failure ends the run. Then test_* functions and TestCase classes, one check each. The last line
#: is the summary ``PASSED: n of n checks`` / ``FAILED: k of n checks failing``.
TEST_RUNNER = """\
import ast, inspect, sys, traceback, types, unittest
passed = failed = 0
source = open("test_solution.py", encoding="utf-8").read()
mod = types.ModuleType("test_solution")
mod.__file__ = "test_solution.py"
sys.modules["test_solution"] = mod
for node in ast.parse(source, "test_solution.py").body:
    code = compile(ast.Module([node], []), "test_solution.py", "exec")
    if not isinstance(node, ast.Assert):
        exec(code, mod.__dict__)
        continue
    try:
        exec(code, mod.__dict__)
        passed += 1
    except Exception as exc:
        failed += 1
        print(f"FAIL line {node.lineno}: {ast.get_source_segment(source, node)}")
        print(f"  {type(exc).__name__}: {exc}" if str(exc) else f"  {type(exc).__name__}")
        test = node.test
        subject = test.left if isinstance(test, ast.Compare) else getattr(test, "operand", test)
        if isinstance(exc, AssertionError) and isinstance(subject, ast.Call):
            try:
                got = eval(compile(ast.Expression(subject), "test_solution.py", "eval"), mod.__dict__)
                print(f"  {ast.get_source_segment(source, subject)} returned {got!r:.200}")
            except Exception as again:
                print(f"  {ast.get_source_segment(source, subject)} raised {type(again).__name__}: {again}")
funcs = [(n, f) for n, f in vars(mod).items() if n.startswith("test") and inspect.isfunction(f)]
for name, func in funcs:
    try:
        func()
        passed += 1
        print(f"PASS {name}")
    except Exception:
        failed += 1
        print(f"FAIL {name}")
        traceback.print_exc()
suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
if suite.countTestCases():
    res = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    bad = len(res.failures) + len(res.errors)
    failed += bad
    passed += res.testsRun - bad
total = passed + failed
print(f"FAILED: {failed} of {total} checks failing" if failed else f"PASSED: {total} of {total} checks")
sys.stdout.flush()
print(f"@TAG@ {passed} {total}", file=sys.stderr)
sys.exit(1 if failed else 0)
"""


def checks_passed(stderr: str, tag: str) -> tuple[tuple[int, int] | None, str]:
    """``(passed, total)`` from the runner's tagged count line (None when it never got there), and
    ``stderr`` without that line. The tag is a fresh secret per run, so the code under test cannot
    print a count line of its own that would be believed."""
    counts = None
    kept = []
    for line in stderr.splitlines(keepends=True):
        found = re.fullmatch(rf"{re.escape(tag)} (\d+) (\d+)\s*", line)
        if found:
            counts = int(found.group(1)), int(found.group(2))
        else:
            kept.append(line)
    return counts, "".join(kept)


#: The longest a tool call may run, whatever ``timeout`` the model asks for (it can ask natively now).
MAX_TIMEOUT_S = 120.0


def render(result: ExecResult) -> str:
    """Compact text of a result for the LLM."""
    head = f"exit_code={result.exit_code}"
    if result.timed_out:
        head += f" TIMED OUT after {result.duration_s:.1f}s"
    if result.oom_killed:
        head += " KILLED: out of memory"
    parts = [head]
    if result.note:
        parts.append(f"note: {result.note}")
    if result.stdout:
        parts.append("stdout:\n" + result.stdout.rstrip("\n"))
    if result.stderr:
        parts.append("stderr:\n" + result.stderr.rstrip("\n"))
    if result.files_changed:
        parts.append("files changed: " + ", ".join(result.files_changed[:20]))
    return "\n".join(parts)


class _ExecTool:
    spec: ToolSpec

    def __init__(self, sandbox: Sandbox, workspace: Path | str | None = None) -> None:
        self.sandbox = sandbox
        self.workspace = workspace

    def _result(self, result: ExecResult) -> ToolResult:
        return ToolResult(ok=result.ok, output=render(result), data=result.model_dump())

    @staticmethod
    def _timeout(kwargs: dict[str, Any], default: float | None = None) -> float | None:
        """The model's ``timeout``, bounded: generated code never holds a run longer than
        :data:`MAX_TIMEOUT_S` per call, whatever it asks for."""
        value = kwargs.get("timeout", default)
        if value is None:
            return None
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            raise SandboxInputError(f"timeout must be a number of seconds, got {value!r}") from None
        return min(seconds, MAX_TIMEOUT_S)

    @staticmethod
    def _text(kwargs: dict[str, Any], key: str) -> str:
        value = kwargs.get(key)
        if not isinstance(value, str) or not value.strip():
            raise SandboxInputError(f"argument {key!r} must be a non-empty string")
        return value


class RunPython(_ExecTool):
    """``run_python(code)``; ``workspace=None`` means a throw-away workspace per call."""

    spec = RUN_PYTHON_SPEC

    def __call__(self, **kwargs: Any) -> ToolResult:
        code = self._text(kwargs, "code")
        return self._result(
            self.sandbox.execute(code, timeout=self._timeout(kwargs), workspace=self.workspace)
        )


class RunCommand(_ExecTool):
    """``run_command(cmd)`` in the task workspace."""

    spec = RUN_COMMAND_SPEC

    def __call__(self, **kwargs: Any) -> ToolResult:
        cmd = self._text(kwargs, "cmd")
        return self._result(
            self.sandbox.execute(command=cmd, timeout=self._timeout(kwargs), workspace=self.workspace)
        )


class RunTests(_ExecTool):
    """``run_tests(code, tests)``: ok is True only when every test passes."""

    spec = RUN_TESTS_SPEC

    def __call__(self, **kwargs: Any) -> ToolResult:
        files = {
            "solution.py": self._text(kwargs, "code"),
            "test_solution.py": self._text(kwargs, "tests"),
        }
        tag = f"triloop-checks-{secrets.token_hex(8)}"
        result = self.sandbox.execute(
            TEST_RUNNER.replace("@TAG@", tag),
            files=files,
            timeout=self._timeout(kwargs, 60),
            workspace=self.workspace,
        )
        counts, stderr = checks_passed(result.stderr, tag)
        out = self._result(result.model_copy(update={"stderr": stderr}))
        if counts is not None:
            out.data["checks_passed"], out.data["checks_total"] = counts
        return out


def execution_tools(sandbox: Sandbox, workspace: Path | str | None = None) -> dict[str, Any]:
    """The three tools bound to one sandbox (and optionally one task workspace), by name."""
    tools = (RunPython(sandbox, workspace), RunCommand(sandbox, workspace), RunTests(sandbox, workspace))
    return {tool.spec.name: tool for tool in tools}
