"""Running one experiment script in the sandbox and scoring what it wrote.

The sandbox sees a workspace with a copy of ``data/`` and the script, nothing else: the test labels
stay in the task directory. The metric is recomputed here from ``predictions/valid.csv`` against the
task directory's own validation labels (not the copy the script could have changed); a number the
script prints does not count.

A script that could become the best is audited (:func:`audit`): it runs again on a copy whose
validation labels are shuffled. A script that trains on train.csv only writes the same validation
predictions; one whose predictions move has learned from the validation labels (a leak), unless plain
reruns move them too (it is not deterministic: a seed is missing).
"""

from __future__ import annotations

import contextlib
import csv
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from triloop.ml.metrics import compute
from triloop.ml.runner import as_runner
from triloop.ml.task import SPLITS, MLTask, data_path, labels_path

Status = Literal["ok", "failed", "timeout", "bad_predictions", "leak", "nondeterministic"]
PREDICTIONS = "predictions"
# Plain reruns before calling a script a leak: a script without seeds whose runs happen to coincide
# must not be called a leak (two chance matches in a row are far rarer than one).
PLAIN_RERUNS = 2


class ExperimentRun(BaseModel):
    """What one run of one script gave."""

    status: Status
    metric: float | None = None
    train_metric: float | None = None  # when it wrote predictions/train.csv: far above metric = overfit
    duration_s: float = 0.0
    detail: str = ""  # why it failed: the traceback's tail, or what is wrong with the predictions
    output: str = ""  # stdout and stderr tails: its scores, warnings (for the Reviewer)


def _column(path: Path, name: str) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or name not in reader.fieldnames:
            raise ValueError(f"{path.name} has no column {name!r}")
        return [row[name] for row in reader]


def _typed(values: list[str], task: MLTask) -> list[Any]:
    if task.problem == "regression":
        return [float(v) for v in values]
    return [int(float(v)) if _integral(v) else v for v in values]


def _integral(value: str) -> bool:
    try:
        return float(value).is_integer()
    except ValueError:
        return False


def prepare_workspace(
    root: Path, workspace: Path, script: str, *, shuffle_valid: str | None = None, seed: int = 0
) -> None:
    """``workspace``: the script and a copy of the task's data (never the hidden test labels); with
    ``shuffle_valid`` (the target column), the copy's validation labels are shuffled."""
    (workspace / "data").mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        shutil.copyfile(data_path(root, split), workspace / "data" / f"{split}.csv")
    if shuffle_valid is not None:
        _shuffle_column(workspace / "data" / "valid.csv", shuffle_valid, seed)
    (workspace / "experiment.py").write_text(script, encoding="utf-8")
    shutil.rmtree(workspace / PREDICTIONS, ignore_errors=True)


def score_predictions(
    root: Path, task: MLTask, predictions: Path, split: Literal["train", "valid", "test"]
) -> float:
    """The metric of the predictions in ``predictions/<split>.csv`` (test: against the hidden labels)."""
    predicted = _column(predictions / f"{split}.csv", "prediction")
    truth_file = labels_path(root) if split == "test" else data_path(root, split)
    truth = _column(truth_file, task.target)
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} {split} predictions for {len(truth)} rows")
    return compute(task.metric, _typed(truth, task), _typed(predicted, task))


def _shuffle_column(path: Path, column: str, seed: int) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2 or column not in rows[0]:
        return
    index = rows[0].index(column)
    body = [row for row in rows[1:] if len(row) > index]
    values = [row[index] for row in body]
    rng = random.Random(seed)
    shuffled = values[:]
    for _ in range(10):  # a shuffle that leaves the labels as they were would prove nothing
        rng.shuffle(shuffled)
        if shuffled != values:
            break
    for row, value in zip(body, shuffled, strict=True):
        row[index] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def _same_predictions(a: Path, b: Path) -> bool:
    """Whether two prediction files agree (numbers within a rounding error)."""
    try:
        left, right = _column(a, "prediction"), _column(b, "prediction")
    except (OSError, ValueError):
        return False
    if len(left) != len(right):
        return False
    for x, y in zip(left, right, strict=True):
        if x == y:
            continue
        try:
            if abs(float(x) - float(y)) > 1e-9 * max(1.0, abs(float(x))):
                return False
        except ValueError:
            return False
    return True


def run_experiment(
    sandbox: Any,
    root: Path,
    task: MLTask,
    script: str,
    keep: Path | None = None,
    *,
    shuffle_valid: bool = False,
) -> ExperimentRun:
    """Run ``script`` on a copy of the task's data and score its validation predictions; the script and
    what it wrote under ``predictions/`` are kept in ``keep`` (when given). ``sandbox``: a sandbox, or
    a runner of :mod:`triloop.ml.runner` (a session kept for the whole ML run).
    ``shuffle_valid``: the copy's validation labels are shuffled (see :func:`audit`)."""
    runner = as_runner(sandbox)
    workspace = runner.workspace()
    try:
        target = task.target if shuffle_valid else None
        prepare_workspace(root, workspace, script, shuffle_valid=target, seed=task.seed)
        run = _scored(root, task, workspace, runner.run(workspace, task.experiment_timeout_s))
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            (keep / "experiment.py").write_text(script, encoding="utf-8")
            if (workspace / PREDICTIONS).is_dir():
                shutil.copytree(workspace / PREDICTIONS, keep / PREDICTIONS, dirs_exist_ok=True)
        return run
    finally:
        runner.release(workspace)


def _scored(root: Path, task: MLTask, workspace: Path, result: Any) -> ExperimentRun:
    tail = (result.stdout[-400:] + ("\n" + result.stderr[-400:] if result.stderr.strip() else "")).strip()
    if result.timed_out:
        return ExperimentRun(status="timeout", duration_s=result.duration_s, detail="time limit", output=tail)
    if not result.ok:
        return ExperimentRun(
            status="failed", duration_s=result.duration_s, detail=result.stderr[-1500:], output=tail
        )
    try:
        metric = score_predictions(root, task, workspace / PREDICTIONS, "valid")
    except (OSError, ValueError) as exc:
        return ExperimentRun(
            status="bad_predictions", duration_s=result.duration_s, detail=str(exc), output=tail
        )
    train_metric = None
    if (workspace / PREDICTIONS / "train.csv").is_file():  # optional: shows overfitting to the Reviewer
        with contextlib.suppress(OSError, ValueError):
            train_metric = score_predictions(root, task, workspace / PREDICTIONS, "train")
    return ExperimentRun(
        status="ok", metric=metric, train_metric=train_metric, duration_s=result.duration_s, output=tail
    )


def audit(sandbox: Any, root: Path, task: MLTask, script: str, kept: Path) -> ExperimentRun | None:
    """Rerun a scored script (its predictions in ``kept``) to check it learns from train.csv alone and
    is deterministic; None when it passes, else the run's verdict ("leak" or "nondeterministic")."""
    first = kept / PREDICTIONS / "valid.csv"
    with tempfile.TemporaryDirectory(prefix="triloop-audit-") as name:
        scratch = Path(name)
        shuffled = run_experiment(sandbox, root, task, script, keep=scratch, shuffle_valid=True)
        if shuffled.status == "timeout":
            return None  # it could not finish in time again: no verdict either way
        if shuffled.status == "ok" and _same_predictions(first, scratch / PREDICTIONS / "valid.csv"):
            return None
        moved, duration = False, shuffled.duration_s
        for attempt in range(PLAIN_RERUNS):  # one plain rerun could match the first run by chance
            again = scratch / f"again-{attempt}"
            rerun = run_experiment(sandbox, root, task, script, keep=again)
            if rerun.status != "ok":
                return None  # a plain rerun that does not finish tells nothing about the labels
            duration += rerun.duration_s
            if not _same_predictions(first, again / PREDICTIONS / "valid.csv"):
                moved = True
                break
    if moved:
        detail = (
            "two runs on the same data wrote different validation predictions: set every random seed "
            f"(random_state={task.seed}) and avoid other sources of randomness"
        )
        return ExperimentRun(status="nondeterministic", duration_s=duration, detail=detail)
    detail = (
        "its validation predictions change when the validation labels change: it learns from "
        "data/valid.csv's target; train on data/train.csv only"
    )
    return ExperimentRun(status="leak", duration_s=duration, detail=detail)
