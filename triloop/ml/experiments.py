"""The experiment log: one :class:`Experiment` per line of ``experiments.jsonl``, and which is best."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from triloop.ml.metrics import better
from triloop.ml.task import MLTask

LOG = "experiments.jsonl"


class Experiment(BaseModel):
    """One line of ``experiments.jsonl``."""

    id: int
    parent: int | None
    action: Literal["baseline", "improve", "debug"]
    idea: str
    why: str = ""
    lesson: str = ""  # the stored lesson the Reviewer says this idea follows (memory on)
    code_path: str
    status: str
    metric: float | None = None
    train_metric: float | None = None
    duration_s: float = 0.0
    detail: str = ""
    output: str = ""  # the tail of what it printed (stdout, then stderr)
    tokens: int = 0


def read_log(root: Path) -> list[Experiment]:
    path = root / LOG
    if not path.is_file():
        return []
    return [
        Experiment.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line
    ]


def best_of(task: MLTask, experiments: list[Experiment]) -> Experiment | None:
    scored = [e for e in experiments if e.status == "ok" and e.metric is not None]
    best = None
    for e in scored:
        if best is None or better(task.metric, e.metric, best.metric):  # type: ignore[arg-type]
            best = e
    return best
