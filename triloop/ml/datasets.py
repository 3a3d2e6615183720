"""``triloop ml init``: a ready task directory from scikit-learn's bundled datasets or a user's CSV.

scikit-learn ships digits, breast_cancer, wine and diabetes inside the package, so nothing is
downloaded. Splits are fixed by the task's seed (60 % train, 20 % validation, 20 % test; stratified
for classification), so a task directory is reproducible from its source.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from triloop.ml.metrics import METRICS, Problem
from triloop.ml.task import (
    DATA,
    HIDDEN,
    TASK_JSON,
    TASK_MD,
    MLTask,
    MLTaskError,
    data_path,
    labels_path,
    task_markdown,
)

#: name -> (loader in sklearn.datasets, problem, default metric, what the goal says)
BUNDLED: dict[str, tuple[str, Problem, str, str]] = {
    "digits": (
        "load_digits",
        "classification",
        "f1_macro",
        "recognise handwritten digits (8x8 pixel images)",
    ),
    "breast_cancer": (
        "load_breast_cancer",
        "classification",
        "f1_macro",
        "tell malignant from benign tumours",
    ),
    "wine": ("load_wine", "classification", "f1_macro", "tell three wine cultivars apart from chemistry"),
    "diabetes": ("load_diabetes", "regression", "rmse", "predict disease progression after one year"),
}


def _split(n: int, y: np.ndarray, problem: Problem, seed: int) -> dict[str, np.ndarray]:
    from sklearn.model_selection import train_test_split

    index = np.arange(n)
    stratify = y if problem == "classification" and np.unique(y, return_counts=True)[1].min() >= 5 else None
    rest, test = train_test_split(index, test_size=0.2, random_state=seed, stratify=stratify)
    strat_rest = y[rest] if stratify is not None else None
    train, valid = train_test_split(rest, test_size=0.25, random_state=seed, stratify=strat_rest)
    return {"train": np.sort(train), "valid": np.sort(valid), "test": np.sort(test)}


def _write_csv(path: Path, header: list[str], rows: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _prepare(root: Path, force: bool) -> None:
    if root.exists() and any(root.iterdir()):
        if not force:
            raise MLTaskError(f"{root} exists and is not empty; choose a new directory or pass --force")
        for name in (TASK_JSON, TASK_MD, DATA, HIDDEN):
            target = root / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    root.mkdir(parents=True, exist_ok=True)


def write_task(
    root: Path,
    features: list[str],
    x: np.ndarray,
    y: np.ndarray,
    *,
    name: str,
    goal: str,
    problem: Problem,
    target: str,
    metric: str,
    source: str,
    budget_minutes: float = 10.0,
    seed: int = 0,
    force: bool = False,
) -> MLTask:
    """Split ``x, y`` and write the task directory; returns the task."""
    if metric not in METRICS:
        raise MLTaskError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    if METRICS[metric].problem != problem:
        raise MLTaskError(f"metric {metric!r} is for {METRICS[metric].problem}; this target is {problem}")
    if len(y) < 20:
        raise MLTaskError(f"{len(y)} rows are too few to split into train, validation and test")
    _prepare(root, force)
    parts = _split(len(y), y, problem, seed)
    for split in ("train", "valid"):
        rows = ([*x[i], y[i]] for i in parts[split])
        _write_csv(data_path(root, split), [*features, target], rows)
    _write_csv(data_path(root, "test"), features, (list(x[i]) for i in parts["test"]))
    _write_csv(labels_path(root), [target], ([y[i]] for i in parts["test"]))
    task = MLTask(
        name=name,
        goal=goal,
        problem=problem,
        target=target,
        metric=metric,
        budget_minutes=budget_minutes,
        seed=seed,
        source=source,
        rows={split: len(index) for split, index in parts.items()},  # type: ignore[misc]
    )
    (root / TASK_JSON).write_text(task.model_dump_json(indent=2), encoding="utf-8")
    (root / TASK_MD).write_text(task_markdown(task), encoding="utf-8")
    return task


def init_bundled(root: Path, dataset: str, *, metric: str | None = None, **options: Any) -> MLTask:
    """A task from one of scikit-learn's bundled datasets (no download)."""
    if dataset not in BUNDLED:
        raise MLTaskError(f"unknown dataset {dataset!r}; choose from {', '.join(BUNDLED)}")
    try:
        import sklearn.datasets
    except ImportError:
        raise MLTaskError("the bundled datasets need scikit-learn: pip install 'triloop[ml]'") from None

    loader, problem, default_metric, about = BUNDLED[dataset]
    bunch = getattr(sklearn.datasets, loader)()
    features = [str(f).replace(" ", "_") for f in bunch.feature_names]
    metric = metric or default_metric
    direction = METRICS[metric].direction if metric in METRICS else "maximize"
    goal = f"{about}: {direction} {metric} on the validation split."
    return write_task(
        root,
        features,
        bunch.data,
        bunch.target,
        name=dataset,
        goal=goal,
        problem=problem,
        target="target",
        metric=metric,
        source=f"sklearn:{dataset}",
        **options,
    )


def _problem_of(values: list[str]) -> Problem:
    """Regression for a numeric target with many distinct values; classification otherwise."""
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        return "classification"
    integral = all(n.is_integer() for n in numbers)
    return "classification" if integral and len(set(numbers)) <= 20 else "regression"


def init_csv(
    root: Path,
    csv_path: Path,
    target: str,
    *,
    metric: str | None = None,
    problem: Problem | None = None,
    **options: Any,
) -> MLTask:
    """A task from a user's CSV (numeric features; the target may be text for classification)."""
    if not csv_path.is_file():
        raise MLTaskError(f"no CSV file at {csv_path}")
    with csv_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2:
        raise MLTaskError(f"{csv_path} has no data rows")
    header, body = rows[0], [r for r in rows[1:] if r]
    if target not in header:
        raise MLTaskError(f"no column {target!r} in {csv_path}; columns: {', '.join(header)}")
    col = header.index(target)
    labels = [r[col] for r in body]
    problem = problem or _problem_of(labels)
    features = [h for i, h in enumerate(header) if i != col]
    try:
        x = np.array([[float(v) for i, v in enumerate(r) if i != col] for r in body])
    except ValueError as exc:
        raise MLTaskError(
            f"{csv_path}: features must be numbers ({exc}); encode text columns first"
        ) from None
    if problem == "regression":
        y = np.array([float(v) for v in labels])
    elif all(_is_number(v) and float(v).is_integer() for v in labels):
        y = np.array([int(float(v)) for v in labels])
    else:
        y = np.array(labels)
    metric = metric or ("f1_macro" if problem == "classification" else "rmse")
    goal = (
        f"predict `{target}` from {csv_path.name}: {METRICS.get(metric, METRICS['rmse']).direction} {metric}."
    )
    return write_task(
        root,
        features,
        x,
        y,
        name=csv_path.stem,
        goal=goal,
        problem=problem,
        target=target,
        metric=metric,
        source=f"csv:{csv_path.resolve()}",
        **options,
    )


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
