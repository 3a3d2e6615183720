"""``triloop code --workspace DIR``: change a small existing project until its tests pass.

The loop, with the project's own tests as the evidence: the Solver reads the project's Python files and
the spec and rewrites the files it needs to change; the tests run in the sandbox on a copy (never on
the user's files); while they fail, the Reviewer reads the failure and the changed code and says what
is wrong, and the Refiner rewrites again. A round that passes fewer tests than the best so far is not
kept. At the end the diff is shown and the changed files are written inside the workspace only.

Tests run with pytest when the sandbox has it, else with a small runner of ``test_*`` functions and
``unittest`` classes in ``test_*.py`` files (plain-assert tests, no fixtures).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path, PurePosixPath

from pydantic import BaseModel

from triloop import syntax
from triloop.agents.base import AgentContext
from triloop.errors import TriloopError
from triloop.tools.sandbox.base import Sandbox

MAX_PROJECT_CHARS = 16_000  # small local models: the whole project goes into one prompt
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "node_modules", ".mypy_cache", ".pytest_cache", "build"}

EDIT = (
    "You change a small Python project. The project:\n\n{files}\n\nTask: {spec}\n\n{evidence}"
    "Reply with every file you change or add, each as a line `### <path>` followed by the complete new "
    "file in one ```python block. Do not change the tests unless the task asks for it."
)
REVIEW = (
    "Task: {spec}\n\nThe changed files:\n\n{files}\n\nThe tests still fail:\n{failure}\n\n"
    "What is wrong, and how should the code change? At most 3 sentences, no code."
)

#: Runs test_*.py files when pytest is missing: test_* functions and TestCase classes, one check each.
RUNNER = r"""
import glob, importlib.util, inspect, os, sys, traceback, unittest
sys.path.insert(0, os.getcwd())
passed = failed = 0
for path in sorted(glob.glob("**/test_*.py", recursive=True) + glob.glob("**/*_test.py", recursive=True)):
    name = path[:-3].replace(os.sep, "_")
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    except Exception:
        failed += 1
        print(f"ERROR collecting {path}")
        traceback.print_exc(limit=3)
        continue
    for fname, func in sorted(vars(mod).items()):
        if fname.startswith("test") and inspect.isfunction(func):
            try:
                func()
                passed += 1
            except Exception:
                failed += 1
                print(f"FAILED {path}::{fname}")
                traceback.print_exc(limit=3)
    suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
    if suite.countTestCases():
        res = unittest.TextTestRunner(stream=sys.stdout, verbosity=1).run(suite)
        bad = len(res.failures) + len(res.errors)
        failed, passed = failed + bad, passed + res.testsRun - bad
print(f"{failed} failed, {passed} passed")
sys.exit(1 if failed or not passed else 0)
"""
PYTEST = (
    "if python3 -c 'import pytest' 2>/dev/null; then python3 -m pytest -q -p no:cacheprovider; "
    "else python3 .triloop_runner.py; fi"
)


class WorkspaceError(TriloopError):
    """The workspace cannot be used (missing, too large for one prompt, an edit outside it)."""

    exit_code = 2


class TestRun(BaseModel):
    passed: bool
    passed_count: int
    output: str


class WorkspaceResult(BaseModel):
    changed: dict[str, str]  # path -> new content
    diff: str
    tests: TestRun
    rounds: int


def project_files(root: Path) -> dict[str, str]:
    """The project's Python files (relative POSIX path -> text), hidden and environment folders skipped."""
    if not root.is_dir():
        raise WorkspaceError(f"workspace {root} is not a directory")
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]) or path.is_symlink():
            continue
        files[rel.as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    if not files:
        raise WorkspaceError(f"workspace {root} holds no Python files")
    size = sum(len(text) for text in files.values())
    if size > MAX_PROJECT_CHARS:
        raise WorkspaceError(
            f"workspace {root} has {size:,} characters of Python; at most {MAX_PROJECT_CHARS:,} fit the prompt"
        )
    return files


def render_files(files: dict[str, str]) -> str:
    return "\n\n".join(f"### {path}\n```python\n{text.rstrip()}\n```" for path, text in files.items())


_EDIT = re.compile(
    r"^#{1,4}\s*`?([\w./-]+\.py)`?\s*\n+```[a-zA-Z]*\n(.*?)(?:```|\Z)", re.DOTALL | re.MULTILINE
)


def parse_edits(reply: str) -> dict[str, str]:
    """Files the reply rewrites: ``### path`` then a fenced block. Paths must stay inside the project
    and the code must parse; anything else is not an edit."""
    edits: dict[str, str] = {}
    for path, code in _EDIT.findall(reply):
        rel = PurePosixPath(path)
        if rel.is_absolute() or ".." in rel.parts:
            raise WorkspaceError(f"the model asked to write {path!r}, outside the workspace; refused")
        try:
            syntax.parse(code)
        except SyntaxError:
            continue
        edits[rel.as_posix()] = code.rstrip() + "\n"
    return edits


def run_tests(sandbox: Sandbox, files: dict[str, str], timeout: float = 120.0) -> TestRun:
    """The project's tests on a throw-away copy in the sandbox."""
    result = sandbox.execute(command=PYTEST, files={**files, ".triloop_runner.py": RUNNER}, timeout=timeout)
    output = (result.stdout + result.stderr).strip()
    counts = re.findall(r"(\d+) passed", output)
    return TestRun(passed=result.ok, passed_count=int(counts[-1]) if counts else 0, output=output[-3000:])


def diff_of(before: dict[str, str], after: dict[str, str]) -> str:
    lines: list[str] = []
    for path, text in after.items():
        old = before.get(path, "")
        lines += difflib.unified_diff(
            old.splitlines(keepends=True), text.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    return "".join(lines)


def improve(
    ctx: AgentContext, sandbox: Sandbox, root: Path, spec: str, *, max_rounds: int = 3
) -> WorkspaceResult:
    """Change the project at ``root`` for ``spec`` until its tests pass (or ``max_rounds`` refinements)."""
    original = project_files(root)
    baseline = run_tests(sandbox, original)
    evidence = f"Its tests now:\n{baseline.output[-1200:]}\n\n" if not baseline.passed else ""
    reply = ctx.complete(
        [
            {
                "role": "user",
                "content": EDIT.format(files=render_files(original), spec=spec, evidence=evidence),
            }
        ],
        role="solver",
        purpose="workspace:draft",
        temperature=0.0,
    )
    best_edits, best = {}, baseline  # a draft that loses tests the project passed is not kept either
    drafted = parse_edits(reply.text)
    tests = run_tests(sandbox, {**original, **drafted})
    if tests.passed or tests.passed_count >= baseline.passed_count:
        best_edits, best = drafted, tests
    rounds = 0
    while not best.passed and rounds < max_rounds:
        rounds += 1
        changed = {**original, **best_edits}
        shown = {p: changed[p] for p in best_edits} or original
        review = ctx.complete(
            [
                {
                    "role": "user",
                    "content": REVIEW.format(
                        spec=spec, files=render_files(shown), failure=best.output[-1200:]
                    ),
                }
            ],
            role="reviewer",
            purpose=f"workspace:review:{rounds}",
            temperature=0.0,
            max_tokens=160,
        )
        evidence = f"The tests fail:\n{best.output[-1200:]}\n\nReview: {review.text.strip()}\n\n"
        reply = ctx.complete(
            [
                {
                    "role": "user",
                    "content": EDIT.format(files=render_files(changed), spec=spec, evidence=evidence),
                }
            ],
            role="refiner",
            purpose=f"workspace:refine:{rounds}",
            temperature=0.2,
        )
        edits = {**best_edits, **parse_edits(reply.text)}
        tests = run_tests(sandbox, {**original, **edits})
        if tests.passed or tests.passed_count > best.passed_count:  # never keep a round that passes fewer
            best_edits, best = edits, tests
    changed = {p: t for p, t in best_edits.items() if original.get(p) != t}
    return WorkspaceResult(changed=changed, diff=diff_of(original, changed), tests=best, rounds=rounds)


def write_changes(root: Path, changed: dict[str, str]) -> list[Path]:
    """Write the changed files, inside ``root`` only."""
    written = []
    base = root.resolve()
    for rel, text in changed.items():
        target = (root / rel).resolve()
        if base not in target.parents:
            raise WorkspaceError(f"refusing to write {rel!r}: outside the workspace")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
