"""(Re)build candidate bug-fix tasks for ``triloop bench repos`` (SWE-smith style) from pinned projects.

For each project of ``triloop/bench/data/repo_projects.json``: fetch and unpack its sdist, run its suite
on the original in the REAL sandbox (tests that fail there are the project's ``deselect``), enumerate
single-line mutations with ``ast`` over the non-test modules (operator and boundary swaps, a removed
statement, swapped call arguments, small constant changes), run the suite on a fixed-seed sample of
them and keep the mutants that 1..5 tests catch by failing (not by a collection or import error).
Candidates are hand-picked into ``repo_tasks.json`` (with issue texts written from the failures).
Projects already in the output file are skipped, so an interrupted run resumes where it stopped.
``--verify`` instead checks every task of ``repo_tasks.json``: its tests pass on the original, and on
the mutant exactly they fail (nothing else in the suite).

    eval "$(bash scripts/docker-up.sh)"
    .venv/bin/python benchmarks/repos/build_tasks.py [--only inflection] [--max-per-project 40]
        [--seed 0] [--out benchmarks/results/repo_candidates.json] [--update-projects]
    .venv/bin/python benchmarks/repos/build_tasks.py --verify [--only toolz]
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from triloop.bench.repo_tasks import (
    PROJECTS_FILE,
    TASKS_FILE,
    RepoProject,
    RepoTask,
    apply_mutation,
    default_cache,
    load_projects,
    load_tasks,
    unpack,
)
from triloop.bench.repos import project_suite
from triloop.tools.sandbox.factory import create_sandbox
from triloop.tools.sandbox.settings import SandboxSettings

OUT = Path(__file__).resolve().parents[1] / "results" / "repo_candidates.json"
NOT_CODE = {"docs", "doc", "documentation", "benchmark", "benchmarks", "examples", "test", "tests"}
BINOPS = {ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"), ast.Div: ("/", "*"),
          ast.FloorDiv: ("//", "*"), ast.Mod: ("%", "//"), ast.BitAnd: ("&", "|"), ast.BitOr: ("|", "&"),
          ast.LShift: ("<<", ">>"), ast.RShift: (">>", "<<")}  # fmt: skip
COMPARE = {ast.Lt: ("<", "<=", "boundary"), ast.LtE: ("<=", "<", "boundary"), ast.Gt: (">", ">=", "boundary"),
           ast.GtE: (">=", ">", "boundary"), ast.Eq: ("==", "!=", "operator"), ast.NotEq: ("!=", "==", "operator"),
           ast.In: ("in", "not in", "operator"), ast.NotIn: ("not in", "in", "operator"),
           ast.Is: ("is", "is not", "operator"), ast.IsNot: ("is not", "is", "operator")}  # fmt: skip
REMOVED = b"<removed>"
REMOVABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return, ast.Raise, ast.Delete)


def is_test_file(rel: Path) -> bool:
    return rel.name.startswith("test_") or rel.name.endswith("_test.py") or rel.name == "conftest.py"


def count_lines(root: Path) -> tuple[list[Path], int, int]:
    """The non-test modules (not setup.py, docs or benchmarks) and the line counts of code and tests."""
    modules, code, tests = [], 0, 0
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        lines = len(path.read_text(encoding="utf-8", errors="replace").splitlines())
        if is_test_file(rel) or {"test", "tests"} & set(rel.parts[:-1]):
            tests += lines
        elif rel.name != "setup.py" and not NOT_CODE & set(rel.parts[:-1]):
            modules.append(rel)
            code += lines
    return modules, code, tests


def _swap(line: bytes, start: int, end: int, old: str, new: str) -> bytes | None:
    """``line`` with the one ``old`` token between byte offsets ``start`` and ``end`` made ``new``."""
    gap = line[start:end].decode()
    if gap.split().count(old.split()[0]) != 1 or gap.count(old) != 1:
        return None
    return line[:start] + gap.replace(old, new).encode() + line[end:]


def _removable(node: ast.AST, lines: list[str], source: str) -> list[int]:
    """0-based lines of the one-line statements of ``node``'s bodies that can go without breaking syntax
    (the body keeps another statement; not a docstring; nothing else on the line)."""
    found = []
    for field in ("body", "orelse", "finalbody"):
        body = getattr(node, field, None)
        if not isinstance(body, list) or len(body) < 2:
            continue
        for stmt in body:
            docstring = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            alone = lines[stmt.lineno - 1].split("#")[0].strip() == ast.get_source_segment(source, stmt)
            if isinstance(stmt, REMOVABLE) and stmt.lineno == stmt.end_lineno and alone and not docstring:
                found.append(stmt.lineno - 1)
    return found


def _edits(node: ast.AST, b: bytes) -> list[tuple[str, bytes | None]]:
    """(kind, new line) for the mutations of one single-line expression node on line ``b``."""
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in BINOPS:
        old, new = BINOPS[type(node.op)]
        left = node.left if isinstance(node, ast.BinOp) else node.target
        right = node.right if isinstance(node, ast.BinOp) else node.value
        if isinstance(node, ast.AugAssign):
            old, new = old + "=", new + "="
        return [("operator", _swap(b, left.end_col_offset or 0, right.col_offset, old, new))]
    if isinstance(node, ast.BoolOp) and len(node.values) == 2:
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        return [
            ("operator", _swap(b, node.values[0].end_col_offset or 0, node.values[1].col_offset, old, new))
        ]
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE:
        old, new, kind = COMPARE[type(node.ops[0])]
        return [(kind, _swap(b, node.left.end_col_offset or 0, node.comparators[0].col_offset, old, new))]
    start, end = getattr(node, "col_offset", 0), getattr(node, "end_col_offset", 0) or 0
    if isinstance(node, ast.Constant) and type(node.value) in (int, bool):
        text = b[start:end].decode()
        if text in ("True", "False"):
            return [("constant", b[:start] + (b"False" if text == "True" else b"True") + b[end:])]
        if text.isdigit() and int(text) <= 1000:
            value = 1 if text == "0" else 0 if text == "1" else int(text) + 1
            return [("constant", b[:start] + str(value).encode() + b[end:])]
    if isinstance(node, ast.Call) and len(node.args) >= 2:
        first, second = node.args[0], node.args[1]
        x, y = b[first.col_offset : first.end_col_offset], b[second.col_offset : second.end_col_offset]
        if x != y and not isinstance(first, ast.Starred) and not isinstance(second, ast.Starred):
            middle = b[first.end_col_offset : second.col_offset]
            return [("swapped_args", b[: first.col_offset] + y + middle + x + b[second.end_col_offset :])]
    return []


def mutants_of(rel: Path, source: str) -> list[dict]:
    """Every single-line mutation of one module that still parses, as task-shaped dicts."""
    lines = source.splitlines()
    raw = [s.encode() for s in lines]  # ast offsets count UTF-8 bytes
    found: list[tuple[int, str, bytes | None]] = []
    for node in ast.walk(ast.parse(source)):
        found += [(n, "removed_line", REMOVED) for n in _removable(node, lines, source)]
        if isinstance(node, ast.expr | ast.AugAssign) and node.lineno == node.end_lineno:
            found += [(node.lineno - 1, kind, new) for kind, new in _edits(node, raw[node.lineno - 1])]
    result, seen = [], set()
    for n, kind, new in found:
        mutated = None if new is REMOVED else new.decode() if new is not None else lines[n]
        if mutated == lines[n] or (n, mutated) in seen:
            continue
        try:
            ast.parse("\n".join([*lines[:n], *([] if mutated is None else [mutated]), *lines[n + 1 :]]))
        except SyntaxError:
            continue
        seen.add((n, mutated))
        result.append(
            {"path": rel.as_posix(), "line": n + 1, "original": lines[n], "mutated": mutated, "kind": kind}
        )
    return result


def sample(mutants: list[dict], limit: int, seed: int) -> list[dict]:
    """Up to ``limit`` mutants, taken round-robin over the kinds so every kind is tried."""
    rng = random.Random(seed)
    by_kind: dict[str, list[dict]] = {}
    for mutant in mutants:
        by_kind.setdefault(mutant["kind"], []).append(mutant)
    for group in by_kind.values():
        rng.shuffle(group)
    chosen: list[dict] = []
    while len(chosen) < limit and any(by_kind.values()):
        for kind in sorted(by_kind):
            if by_kind[kind] and len(chosen) < limit:
                chosen.append(by_kind[kind].pop())
    return chosen


def run_suite(sandbox, project: RepoProject, root: Path, task: RepoTask | None = None, selection: list[str] | None = None):  # type: ignore[no-untyped-def]  # fmt: skip
    """Status (``ok``, ``failed``, ``broken`` for a collection/usage error, ``timeout``) and the failing
    tests (with their first error line) of ``selection`` (default: the whole suite) on ``root``, mutated
    by ``task``. Outcomes come from :func:`triloop.repo.testrun.run_suite`'s per-test records, the same
    ones the benchmark's judge reads (not from the console, which the sandbox cuts)."""
    if selection is not None:
        options = [w for w in project.tests if w.startswith("-")]
        project = project.model_copy(update={"tests": [*options, *selection]})
    with tempfile.TemporaryDirectory(prefix="triloop-mutant-") as tmp:
        if task is not None:
            root = Path(shutil.copytree(root, Path(tmp) / "project", symlinks=True))
            apply_mutation(task, root)
        run = project_suite(sandbox, project, root, {}, timeout=180)
    found = {test: first_error(run.failures, test) for test in run.failing()}
    if run.timed_out:
        return "timeout", found
    if not run.outcomes or "error" in run.outcomes.values():
        return "broken", found
    return ("failed" if found else "ok"), found


def first_error(failures: str, node: str) -> str:
    """The first ``E`` line under ``node``'s section of pytest's failures (issue texts start there)."""
    at = failures.find(" " + ".".join(node.split("::")[1:]) + " _")
    match = re.search(r"^E\s+(.+)$", failures[at:], re.MULTILINE) if at >= 0 else None
    return match.group(1)[:300] if match else ""


def build_project(sandbox, project: RepoProject, args: argparse.Namespace) -> dict:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="triloop-build-") as tmp:
        root = unpack(project, args.cache, Path(tmp))
        modules, code_lines, test_lines = count_lines(root)
        status, baseline = run_suite(sandbox, project, root)
        if status in ("broken", "timeout"):
            print(f"{project.name}: the original suite is {status}: {sorted(baseline)[:5]}", file=sys.stderr)
            return {"status": status, "baseline_failures": sorted(baseline)}
        project = project.model_copy(update={"deselect": sorted({*project.deselect, *baseline})})
        mutants = [m for rel in modules for m in mutants_of(rel, (root / rel).read_text(encoding="utf-8"))]
        counts: Counter[str] = Counter()
        candidates = []
        for number, mutant in enumerate(sample(mutants, args.max_per_project, args.seed)):
            task = RepoTask(
                id="candidate", project=project.name, failing_tests=["?"], phrasing="test", **mutant
            )
            status, failed = run_suite(sandbox, project, root, task)
            verdict = status if status != "failed" else "caught" if len(failed) <= 5 else "too_many"
            counts[verdict] += 1
            if verdict == "caught":
                candidates.append({**mutant, "failing_tests": sorted(failed), "messages": failed})
            where = f"{mutant['path']}:{mutant['line']}"
            print(
                f"  {number:3} {project.name:12} {mutant['kind']:12} {where:32} {verdict} {len(failed)}",
                flush=True,
            )
    return {"status": "done", "python_lines": code_lines, "test_lines": test_lines, "deselect": project.deselect,
            "mutants": len(mutants), "tried": sum(counts.values()), "counts": dict(counts),
            "seconds": round(time.monotonic() - started, 1), "candidates": candidates}  # fmt: skip


def verify(sandbox, args: argparse.Namespace) -> bool:  # type: ignore[no-untyped-def]
    """Every task of ``repo_tasks.json``: its tests pass on the original, and on the mutant exactly they fail."""
    projects, good = load_projects(args.projects), True
    for task in load_tasks(args.tasks):
        if args.only and task.project not in args.only:
            continue
        project = projects[task.project]
        with tempfile.TemporaryDirectory(prefix="triloop-verify-") as tmp:
            root = unpack(project, args.cache, Path(tmp))
            before, failed_before = run_suite(sandbox, project, root, selection=task.failing_tests)
            after, failed_after = run_suite(sandbox, project, root, task)
        ok = before == "ok" and after == "failed" and set(failed_after) == set(task.failing_tests)
        good &= ok
        print(
            f"{task.id:36} original {before:7} mutant {after:7} {len(failed_after)} failed  {'ok' if ok else 'WRONG'}"
        )
        for node in sorted(set(failed_after) ^ set(task.failing_tests)) + sorted(failed_before):
            print(
                f"    {node}: {failed_after.get(node) or failed_before.get(node) or 'passed on the mutant'}"
            )
    return good


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=Path, default=PROJECTS_FILE)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", nargs="*", default=None, help="project names (default: all)")
    parser.add_argument("--max-per-project", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=default_cache())
    parser.add_argument("--update-projects", action="store_true", help="write line counts and deselect back")
    parser.add_argument(
        "--verify", action="store_true", help="check the tasks of --tasks instead of building"
    )
    parser.add_argument("--tasks", type=Path, default=TASKS_FILE)
    args = parser.parse_args()
    if args.verify:
        with create_sandbox(SandboxSettings(pool_size=0, timeout_s=180, memory_mb=1024)) as sandbox:
            sys.exit(0 if verify(sandbox, args) else 1)
    rows = json.loads(args.projects.read_text())
    done = json.loads(args.out.read_text()) if args.out.is_file() else {}
    with create_sandbox(SandboxSettings(pool_size=0, timeout_s=180, memory_mb=1024)) as sandbox:
        for row in rows:
            project = RepoProject.model_validate(row)
            skip = args.only and project.name not in args.only
            if skip or done.get(project.name, {}).get("status") == "done":
                continue
            done[project.name] = build_project(sandbox, project, args)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(done, indent=2) + "\n")
            if args.update_projects and done[project.name]["status"] == "done":
                row.update({k: done[project.name][k] for k in ("python_lines", "test_lines", "deselect")})
                args.projects.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\n{'project':12} {'lines':>6} {'tests':>6} {'mutants':>7} {'tried':>5} {'caught':>6} {'too many':>8} "
          f"{'survived':>8} {'broken':>6} {'s':>6}")  # fmt: skip
    for name, row in done.items():
        if row.get("status") == "done":
            c = row["counts"]
            print(f"{name:12} {row['python_lines']:>6} {row['test_lines']:>6} {row['mutants']:>7} {row['tried']:>5} "
                  f"{c.get('caught', 0):>6} {c.get('too_many', 0):>8} {c.get('ok', 0):>8} "
                  f"{c.get('broken', 0) + c.get('timeout', 0) + c.get('unclear', 0):>6} {row['seconds']:>6}")  # fmt: skip


if __name__ == "__main__":
    main()
