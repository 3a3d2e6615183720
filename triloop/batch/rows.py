"""The rows of a batch file and of its results file.

Input: one JSON object per line, ``{id, task, kind?, tests?, signature?}``; every problem in the file is
reported at once, with its line number, before anything starts. Output: one :class:`BatchResult` per row.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from triloop.errors import TriloopError, validation_problems
from triloop.kinds.names import canonical_kind


class BatchInputError(TriloopError):
    """The batch file cannot be read or holds bad rows."""

    exit_code = 2


class BatchRow(BaseModel):
    """One task of a batch."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    task: str = Field(min_length=1)
    kind: str | None = None  # coding | general; default: decided from the task
    tests: str | None = None  # tests a code answer must pass
    signature: str | None = None  # the function a coding task asks for, if not in the task

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("task")
    @classmethod
    def _task_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the task is blank")
        return value

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str | None) -> str | None:
        if value is None:
            return None
        kind = canonical_kind(value)
        if kind == "ml":
            raise ValueError("ML experiments run with `triloop ml`, not in a batch")
        return kind

    def run_id(self, setup: str = "") -> str:
        """The row's run id: the same row under the same ``setup`` (settings, run config) always resumes
        the same run; another row, or another model or config, never does."""
        digest = hashlib.sha256((self.model_dump_json() + setup).encode()).hexdigest()[:10]
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.id)[:40]
        return f"batch-{safe}-{digest}"


Status = Literal["done", "error"]


class BatchResult(BaseModel):
    """One line of the results file: the row's answer (and code), its evidence, its cost."""

    id: str
    run_id: str
    status: Status
    kind: str | None = None
    answer: str | None = None
    code: str | None = None
    outcome: str | None = None  # easy | verified | unsure
    verified: bool = False
    stopped_by: str | None = None
    evidence: list[dict[str, Any]] = Field(default_factory=list)
    checks: list[dict[str, Any]] = Field(default_factory=list)
    usage: dict[str, int] = Field(default_factory=dict)
    wall_s: float = 0.0
    error: str | None = None


def load_rows(path: Path) -> list[BatchRow]:
    """The rows of ``path``; :class:`BatchInputError` lists every bad line (and duplicate ids)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchInputError(f"cannot read batch file {path}: {exc}") from None
    rows: list[BatchRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = BatchRow.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        except ValidationError as exc:
            problems.append(f"line {number}: {validation_problems(exc)}")
            continue
        if row.id in seen:
            problems.append(f"line {number}: id {row.id!r} is also on line {seen[row.id]}")
            continue
        seen[row.id] = number
        rows.append(row)
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise BatchInputError(f"{path}: {shown}")
    if not rows:
        raise BatchInputError(f"{path} holds no rows")
    return rows


def read_results(path: Path) -> dict[str, BatchResult]:
    """The results already in ``path`` by row id (a line cut off by a kill is skipped)."""
    if not path.is_file():
        return {}
    done: dict[str, BatchResult] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            result = BatchResult.model_validate_json(line)
        except ValidationError:
            continue
        if result.id not in done or (done[result.id].error and not result.error):
            done[result.id] = result
    return done
