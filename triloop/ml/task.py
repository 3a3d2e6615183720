"""An ML task directory: what to optimise, the fixed splits, and where the test labels hide.

    DIR/task.md              the goal in words (what a person reads; the agents read it too)
    DIR/task.json            the same as data (MLTask)
    DIR/data/train.csv       features and target
    DIR/data/valid.csv       features and target (experiments are scored on it)
    DIR/data/test.csv        features only
    DIR/.triloop/test_labels.csv   the test target: never copied into a sandbox; read only to score the
                                   best experiment once, at the end

Experiments see a copy of ``data/`` only, and write ``predictions/valid.csv`` and
``predictions/test.csv`` (one column ``prediction``, rows in file order); the harness recomputes the
metric from those files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from triloop.errors import TriloopError
from triloop.ml.metrics import METRICS, Direction, Problem

TASK_JSON = "task.json"
TASK_MD = "task.md"
DATA = "data"
HIDDEN = ".triloop"
SPLITS = ("train", "valid", "test")


class MLTaskError(TriloopError):
    """A task directory or its options are missing or invalid."""

    exit_code = 2


class MLTask(BaseModel):
    """What one ML task asks for."""

    name: str
    goal: str
    problem: Problem
    target: str
    metric: str
    direction: Direction = "maximize"
    budget_minutes: float = Field(10.0, gt=0)
    experiment_timeout_s: float = Field(120.0, gt=0)
    seed: int = 0
    source: str = ""
    rows: dict[Literal["train", "valid", "test"], int] = {}

    @model_validator(mode="after")
    def _metric_fits(self) -> MLTask:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}; choose from {', '.join(METRICS)}")
        metric = METRICS[self.metric]
        if metric.problem != self.problem:
            raise ValueError(f"metric {self.metric!r} is for {metric.problem}, this task is {self.problem}")
        self.direction = metric.direction
        return self


def data_path(root: Path, split: str) -> Path:
    return root / DATA / f"{split}.csv"


def labels_path(root: Path) -> Path:
    return root / HIDDEN / "test_labels.csv"


def load_task(root: Path) -> MLTask:
    """The task in ``root``; a clear error when it is not a task directory."""
    path = root / TASK_JSON
    if not path.is_file():
        raise MLTaskError(
            f"{root} is not an ML task directory (no {TASK_JSON}); create one with `triloop ml init`"
        )
    try:
        return MLTask.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValidationError, json.JSONDecodeError) as exc:
        raise MLTaskError(f"{path} is invalid: {exc}") from None


def task_markdown(task: MLTask) -> str:
    """``task.md``: the goal and the rules an experiment must follow, for people and agents alike."""
    rows = ", ".join(f"{k} {v}" for k, v in task.rows.items())
    return f"""# {task.name}

Goal: {task.goal}

- Problem: {task.problem}; target column `{task.target}`.
- Metric: `{task.metric}` ({task.direction}), computed by the harness on the validation split.
- Budget: {task.budget_minutes:g} minutes in all; each experiment at most {task.experiment_timeout_s:g} s.
- Data ({rows} rows): `data/train.csv` and `data/valid.csv` have features and `{task.target}`;
  `data/test.csv` has the features only.
- An experiment is one Python script run from the task directory. It trains on `data/train.csv`
  (never on valid or test rows), sets every random seed to {task.seed}, and writes
  `predictions/valid.csv` and `predictions/test.csv`: one column `prediction`, one row per input
  row, in file order. A metric it prints does not count; the harness scores the written predictions.
  It may also write `predictions/train.csv` (the same for the training rows): the train score is then
  shown beside the validation score, which shows overfitting.
"""
