"""The metrics an ML task can optimise, each with its direction and the problem type it fits.

The harness recomputes the metric from an experiment's written predictions (a printed number does not
count), so every metric here is a pure function of ``(y_true, y_pred)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, NamedTuple

import numpy as np

Problem = Literal["classification", "regression"]
Direction = Literal["maximize", "minimize"]


class Metric(NamedTuple):
    direction: Direction
    problem: Problem
    fn: Callable[[np.ndarray, np.ndarray], float]


def _f1_macro(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, p, average="macro"))


def _balanced_accuracy(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y, p))


def _r2(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(y, p))


METRICS: dict[str, Metric] = {
    "accuracy": Metric("maximize", "classification", lambda y, p: float(np.mean(y == p))),
    "f1_macro": Metric("maximize", "classification", _f1_macro),
    "balanced_accuracy": Metric("maximize", "classification", _balanced_accuracy),
    "r2": Metric("maximize", "regression", _r2),
    "rmse": Metric("minimize", "regression", lambda y, p: float(np.sqrt(np.mean((y - p) ** 2)))),
    "mae": Metric("minimize", "regression", lambda y, p: float(np.mean(np.abs(y - p)))),
}


def compute(name: str, y_true: Sequence[object], y_pred: Sequence[object]) -> float:
    """``name`` on the labels and predictions (same length, same order)."""
    metric = METRICS[name]
    y, p = np.asarray(y_true), np.asarray(y_pred)
    if len(y) != len(p):
        raise ValueError(f"{len(p)} predictions for {len(y)} rows")
    if metric.problem == "regression":
        y, p = y.astype(float), p.astype(float)
    return metric.fn(y, p)
