"""``triloop ml init``: a ready task directory from a known dataset or a user's CSV.

The table is split once, fixed by the task's seed: 80 % training rows (every experiment is
cross-validated on them, in folds fixed here too) and 20 % test rows, whose labels are hidden.
Classification splits and folds are stratified. Columns stay as the data has them: text columns are
text and blank cells stay blank, so encoding and imputation belong to the model's pipeline (the
baseline's included), where cross-validation sees them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from triloop.ml.catalog import CATALOG, load
from triloop.ml.metrics import METRICS, Problem
from triloop.ml.task import (
    DATA,
    HIDDEN,
    TASK_JSON,
    TASK_MD,
    MLTask,
    MLTaskError,
    data_path,
    folds_path,
    labels_path,
    task_markdown,
)

if TYPE_CHECKING:
    import pandas as pd

MIN_ROWS = 30


def _stratify(y: np.ndarray, problem: Problem, parts: int) -> np.ndarray | None:
    if problem != "classification":
        return None
    return y if np.unique(y, return_counts=True)[1].min() >= parts else None


def split_rows(
    y: np.ndarray, problem: Problem, seed: int, folds: int
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Training and test row indices (sorted) and the fold of each training row."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    index = np.arange(len(y))
    try:
        train, test = train_test_split(
            index, test_size=0.2, random_state=seed, stratify=_stratify(y, problem, 2)
        )
    except ValueError as exc:  # e.g. fewer test rows than classes
        raise MLTaskError(f"cannot split {len(y)} rows into training and test rows: {exc}") from None
    train, test = np.sort(train), np.sort(test)
    fold_of = np.zeros(len(train), dtype=int)
    strata = _stratify(y[train], problem, folds)
    splitter = StratifiedKFold if strata is not None else KFold
    for k, (_, held) in enumerate(splitter(folds, shuffle=True, random_state=seed).split(train, strata)):
        fold_of[held] = k
    return train, test, fold_of.tolist()


def _prepare(root: Path, force: bool) -> None:
    if root.exists() and any(root.iterdir()):
        if not force:
            raise MLTaskError(f"{root} exists and is not empty; choose a new directory or pass --force")
        for name in (
            TASK_JSON,
            TASK_MD,
            DATA,
            HIDDEN,
            "experiments",
            "experiments.jsonl",
            "best.py",
            "report.md",
            "metric.png",
        ):
            target = root / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    root.mkdir(parents=True, exist_ok=True)


def write_task(
    root: Path,
    frame: pd.DataFrame,
    *,
    name: str,
    goal: str,
    problem: Problem,
    target: str,
    metric: str,
    source: str,
    budget_minutes: float = 10.0,
    seed: int = 0,
    folds: int = 5,
    force: bool = False,
) -> MLTask:
    """Split ``frame`` (features and ``target``; rows with a blank target are left out) and write the
    task directory; returns the task."""
    frame = frame[frame[target].notna()].reset_index(drop=True)
    if metric not in METRICS:
        raise MLTaskError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    if METRICS[metric].problem != problem:
        raise MLTaskError(f"metric {metric!r} is for {METRICS[metric].problem}; this target is {problem}")
    if len(frame) < MIN_ROWS:
        raise MLTaskError(f"{len(frame)} rows are too few for {folds}-fold cross-validation and a test split")
    y = frame[target].to_numpy()
    if len(set(y.tolist())) < 2:
        raise MLTaskError(f"the target {target!r} has one value only: there is nothing to predict")
    _prepare(root, force)
    train, test, fold_of = split_rows(y, problem, seed, folds)
    (root / DATA).mkdir(parents=True, exist_ok=True)
    labels_path(root).parent.mkdir(parents=True, exist_ok=True)
    frame.iloc[train].to_csv(data_path(root, "train"), index=False)
    frame.iloc[test].drop(columns=[target]).to_csv(data_path(root, "test"), index=False)
    frame.iloc[test][[target]].to_csv(labels_path(root), index=False)
    folds_path(root).write_text(json.dumps(fold_of), encoding="utf-8")
    task = MLTask(
        name=name,
        goal=goal,
        problem=problem,
        target=target,
        metric=metric,
        budget_minutes=budget_minutes,
        seed=seed,
        folds=folds,
        source=source,
        rows={"train": len(train), "test": len(test)},
    )
    (root / TASK_JSON).write_text(task.model_dump_json(indent=2), encoding="utf-8")
    (root / TASK_MD).write_text(task_markdown(task), encoding="utf-8")
    return task


def init_dataset(root: Path, dataset: str, *, metric: str | None = None, **options: Any) -> MLTask:
    """A task from a dataset of the catalog (read from an installed package, no download)."""
    frame = load(dataset)
    entry = CATALOG[dataset]
    metric = metric or entry.metric
    direction = METRICS[metric].direction if metric in METRICS else "maximize"
    return write_task(
        root,
        frame,
        name=dataset,
        goal=f"{entry.about}: {direction} {metric} (cross-validated).",
        problem=entry.problem,
        target=entry.target,
        metric=metric,
        source=entry.source,
        **options,
    )


def problem_of(y: pd.Series) -> Problem:
    """Regression for a numeric target with many distinct values; classification otherwise."""
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(y):
        return "classification"
    integral = bool((y.dropna() % 1 == 0).all())
    return "classification" if integral and y.nunique() <= 20 else "regression"


def init_csv(
    root: Path,
    csv_path: Path,
    target: str,
    *,
    metric: str | None = None,
    problem: Problem | None = None,
    **options: Any,
) -> MLTask:
    """A task from a user's CSV: any mix of number and text columns, blank cells allowed (rows whose
    target is blank are left out, and the task says how many)."""
    try:
        import pandas as pd
    except ImportError:
        raise MLTaskError("reading a CSV needs pandas: pip install 'triloop[ml]'") from None
    if not csv_path.is_file():
        raise MLTaskError(f"no CSV file at {csv_path}")
    try:
        frame = pd.read_csv(csv_path, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise MLTaskError(f"{csv_path} is not a readable CSV: {exc}") from None
    if frame.empty:
        raise MLTaskError(f"{csv_path} has no data rows")
    if target not in frame.columns:
        raise MLTaskError(
            f"no column {target!r} in {csv_path}; columns: {', '.join(map(str, frame.columns))}"
        )
    if frame.shape[1] < 2:
        raise MLTaskError(f"{csv_path} has no feature columns besides {target!r}")
    blank = int(frame[target].isna().sum())
    frame = frame[frame[target].notna()].reset_index(drop=True)
    problem = problem or problem_of(frame[target])
    if problem == "regression":
        try:
            frame[target] = frame[target].astype(float)
        except ValueError:
            raise MLTaskError(f"the target {target!r} has text values; it cannot be a regression") from None
    metric = metric or ("f1_macro" if problem == "classification" else "rmse")
    direction = METRICS[metric].direction if metric in METRICS else "maximize"
    dropped = f" ({blank} rows with a blank target left out)" if blank else ""
    return write_task(
        root,
        frame,
        name=csv_path.stem,
        goal=f"predict `{target}` from {csv_path.name}{dropped}: {direction} {metric} (cross-validated).",
        problem=problem,
        target=target,
        metric=metric,
        source=f"csv:{csv_path.resolve()}",
        **options,
    )
