"""Running one experiment in the sandbox by cross-validation, and scoring what it predicted.

The sandbox sees a run folder with a copy of the training and test features, the script and the
harness program (:mod:`triloop.ml.driver`), never the hidden test labels. The program fits
``build_model()`` fold by fold (the folds fixed at ``triloop ml init``) and writes the out-of-fold
predictions; the metric of each fold is computed here, against the task directory's own labels, so
neither a printed number nor a changed copy of the data counts. A crash, missing or short predictions
or the time limit each give a status, not a score.

A script that would become the best is run once more (:func:`audit`): its out-of-fold predictions must
come out the same, or the paired comparison of folds would compare noise (a missing seed).
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from triloop.ml.driver import ENTRY, SOURCE, SPEC
from triloop.ml.metrics import compute
from triloop.ml.runner import as_runner
from triloop.ml.task import SPLITS, MLTask, data_path, labels_path, read_folds

Status = Literal["ok", "failed", "timeout", "bad_predictions", "leak", "nondeterministic"]
PREDICTIONS = "predictions"
CV_FILE = "cv.csv"


class ExperimentRun(BaseModel):
    """What one run of one script gave."""

    status: Status
    metric: float | None = None  # the mean over the folds
    folds: list[float] = []  # the metric of each fold, in fold order
    train_metric: float | None = None  # the refit model on its own training rows: far above = overfit
    duration_s: float = 0.0
    detail: str = ""  # why it failed: the traceback's tail, or what is wrong with the predictions
    output: str = ""  # stdout and stderr tails: fold times, warnings (for the Reviewer)


def _column(path: Path, name: str) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or name not in reader.fieldnames:
            raise ValueError(f"{path.name} has no column {name!r}")
        return [row[name] for row in reader]


def _typed(values: list[str], task: MLTask) -> list[Any]:
    if task.problem == "regression":
        return [float(v) for v in values]
    return [_label(v) for v in values]


def _label(value: str) -> Any:
    """A class label as the same value whichever side wrote it: "1", "1.0" and "1.00" are 1."""
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def prepare_workspace(root: Path, task: MLTask, workspace: Path, script: str) -> None:
    """``workspace``: the script, the harness program, the folds and a copy of the task's data (never
    the hidden test labels)."""
    (workspace / "data").mkdir(parents=True, exist_ok=True)
    (workspace / "data").chmod(0o777)  # the program removes it (as the sandbox's user) before the script runs
    for split in SPLITS:
        shutil.copyfile(data_path(root, split), workspace / "data" / f"{split}.csv")
    spec = {"target": task.target, "problem": task.problem, "folds": read_folds(root)}
    (workspace / SPEC).write_text(json.dumps(spec), encoding="utf-8")
    (workspace / ENTRY).write_text(SOURCE, encoding="utf-8")
    (workspace / "experiment.py").write_text(script, encoding="utf-8")
    shutil.rmtree(workspace / PREDICTIONS, ignore_errors=True)


def _truth(root: Path, task: MLTask, split: Literal["train", "test"]) -> list[Any]:
    truth_file = labels_path(root) if split == "test" else data_path(root, split)
    return _typed(_column(truth_file, task.target), task)


def _predicted(predictions: Path, name: str, rows: int, task: MLTask) -> list[Any]:
    predicted = _column(predictions / name, "prediction")
    if len(predicted) != rows:
        raise ValueError(f"{len(predicted)} predictions in {name} for {rows} rows")
    try:
        return _typed(predicted, task)
    except ValueError:
        raise ValueError(f"{name} has predictions that are not numbers: {predicted[:3]}") from None


def score_folds(root: Path, task: MLTask, predictions: Path) -> list[float]:
    """The metric of each fold, from the out-of-fold predictions in ``predictions/cv.csv``."""
    truth = _truth(root, task, "train")
    predicted = _predicted(predictions, CV_FILE, len(truth), task)
    folds = read_folds(root)
    scores = []
    for k in sorted(set(folds)):
        rows = [i for i, f in enumerate(folds) if f == k]
        scores.append(compute(task.metric, [truth[i] for i in rows], [predicted[i] for i in rows]))
    return scores


def score_predictions(root: Path, task: MLTask, predictions: Path, split: Literal["train", "test"]) -> float:
    """The metric of ``predictions/<split>.csv`` from the refit model (test: against the hidden labels)."""
    truth = _truth(root, task, split)
    return compute(task.metric, truth, _predicted(predictions, f"{split}.csv", len(truth), task))


def run_experiment(
    sandbox: Any, root: Path, task: MLTask, script: str, keep: Path | None = None
) -> ExperimentRun:
    """Cross-validate ``script`` in the sandbox and score it; the script and what it wrote under
    ``predictions/`` are kept in ``keep`` (when given). ``sandbox``: a sandbox, or a runner of
    :mod:`triloop.ml.runner` (a session kept for the whole ML run)."""
    runner = as_runner(sandbox)
    workspace = runner.workspace()
    try:
        prepare_workspace(root, task, workspace, script)
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
        said = result.stderr.strip() or result.stdout.strip() or result.note.strip()
        detail = said[-1500:] or f"it stopped with exit code {result.exit_code} and printed nothing"
        return ExperimentRun(status="failed", duration_s=result.duration_s, detail=detail, output=tail)
    try:
        folds = score_folds(root, task, workspace / PREDICTIONS)
        if not all(math.isfinite(f) for f in folds):
            raise ValueError(f"the fold scores are not all finite numbers: {folds}")
        tests = len(_column(labels_path(root), task.target))  # the refit's, scored at the end
        _predicted(workspace / PREDICTIONS, "test.csv", tests, task)
    except (OSError, ValueError) as exc:
        return ExperimentRun(
            status="bad_predictions", duration_s=result.duration_s, detail=str(exc), output=tail
        )
    train_metric = None
    with contextlib.suppress(OSError, ValueError):
        train_metric = score_predictions(root, task, workspace / PREDICTIONS, "train")
    return ExperimentRun(
        status="ok",
        metric=sum(folds) / len(folds),
        folds=folds,
        train_metric=train_metric,
        duration_s=result.duration_s,
        output=tail,
    )


def same_predictions(a: Path, b: Path) -> bool:
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


def audit(sandbox: Any, root: Path, task: MLTask, script: str, kept: Path) -> ExperimentRun | None:
    """Rerun a scored script (its predictions in ``kept``): None when its out-of-fold predictions come
    out the same, else a "nondeterministic" verdict (debugged like a failure)."""
    with tempfile.TemporaryDirectory(prefix="triloop-audit-") as name:
        again = run_experiment(sandbox, root, task, script, keep=Path(name))
        if again.status != "ok":
            return None  # a rerun that does not finish tells nothing about the seeds
        if same_predictions(kept / PREDICTIONS / CV_FILE, Path(name) / PREDICTIONS / CV_FILE):
            return None
    detail = (
        "two runs of build_model() on the same folds predicted differently: set every random seed "
        f"(random_state={task.seed}) and avoid other sources of randomness"
    )
    return ExperimentRun(status="nondeterministic", duration_s=again.duration_s, detail=detail)
