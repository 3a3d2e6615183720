"""An ML task directory: what to optimise, the fixed splits and folds, and where the test labels hide.

    DIR/task.md              the goal in words (what a person reads; the agents read it too)
    DIR/task.json            the same as data (MLTask)
    DIR/data/train.csv       features and target: every experiment is cross-validated on these rows
    DIR/data/test.csv        features only
    DIR/.triloop/folds.json  the cross-validation fold of each training row (fixed by the seed)
    DIR/.triloop/test_labels.csv   the test target: never copied into a sandbox; read only to score the
                                   best experiment once, at the end

An experiment is a script that defines ``build_model()``; the harness fits and predicts it fold by
fold in the sandbox (:mod:`triloop.ml.harness`) and scores the predictions itself.
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
SPLITS = ("train", "test")


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
    experiment_timeout_s: float = Field(180.0, gt=0)
    folds: int = Field(5, ge=2, le=20)
    seed: int = 0
    source: str = ""
    rows: dict[Literal["train", "test"], int] = {}

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


def folds_path(root: Path) -> Path:
    return root / HIDDEN / "folds.json"


def read_folds(root: Path) -> list[int]:
    """The fold of each training row, in file order."""
    return json.loads(folds_path(root).read_text(encoding="utf-8"))


def load_task(root: Path) -> MLTask:
    """The task in ``root``; a clear error when it is not a task directory (or an old one)."""
    path = root / TASK_JSON
    if not path.is_file():
        raise MLTaskError(
            f"{root} is not an ML task directory (no {TASK_JSON}); create one with `triloop ml init`"
        )
    if not folds_path(root).is_file():
        raise MLTaskError(
            f"{root} was made by an older triloop (a fixed validation split, no folds); "
            "make it again with `triloop ml init ... --force`"
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
- Metric: `{task.metric}` ({task.direction}), from {task.folds}-fold cross-validation on the training
  rows, computed by the harness. The best experiment is refit on all training rows and scored on the
  test rows once, at the end.
- Budget: {task.budget_minutes:g} minutes in all; each experiment at most {task.experiment_timeout_s:g} s.
- Data ({rows} rows): `data/train.csv` has the features and `{task.target}`; `data/test.csv` the
  features only.
- An experiment is one Python script that defines `build_model()`: it returns an unfitted
  scikit-learn estimator (usually a Pipeline) with `fit(X, y)` and `predict(X)`. `X` is a pandas
  DataFrame of the feature columns as they are in the CSV (text stays text, blank cells are NaN), `y`
  the target. The harness calls it once per fold and once for the final refit; the script reads and
  writes no files (its folder has none) and sets every random seed to {task.seed}.
"""
