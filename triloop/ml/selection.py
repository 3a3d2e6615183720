"""Which experiment is best: a newcomer must beat the best on paired fold differences by more than
their noise.

Every experiment is scored on the same folds, so two experiments differ fold by fold; the mean of
those differences is the gain, and its standard error says how much of it chance could give. Folds
share most of their training rows, so the plain standard error is too small; Nadeau and Bengio's
correction (variance x (1/K + n_test/n_train), i.e. 1/K + 1/(K-1) for K folds) widens it. A newcomer
is promoted only when its gain exceeds ``Z`` corrected standard errors. On validation splits of 90-360
rows, a plain "higher is better" rule promoted lucky draws that lost on test (``docs/ml.md``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from triloop.ml.metrics import METRICS

#: Corrected standard errors a gain must exceed to count (one-sided, about the 84th percentile).
Z = 1.0


class Gain(NamedTuple):
    """How much ``new`` beats ``old`` (positive: better, in the metric's direction), and its noise."""

    mean: float
    se: float

    @property
    def real(self) -> bool:
        return self.mean > 0 and self.mean > Z * self.se

    def describe(self) -> str:
        word = "better" if self.real else ("within noise" if self.mean > -Z * self.se else "worse")
        return f"{self.mean:+.4f} +- {self.se:.4f}, {word}"


def gain(metric: str, new: list[float], old: list[float]) -> Gain:
    """The paired gain of fold scores ``new`` over ``old`` (same folds, same order)."""
    if len(new) != len(old) or not new:
        raise ValueError(f"fold scores of different lengths: {len(new)} and {len(old)}")
    sign = 1.0 if METRICS[metric].direction == "maximize" else -1.0
    diffs = [sign * (a - b) for a, b in zip(new, old, strict=True)]
    k = len(diffs)
    mean = sum(diffs) / k
    if k < 2:
        return Gain(mean, 0.0)
    variance = sum((d - mean) ** 2 for d in diffs) / (k - 1)
    return Gain(mean, math.sqrt(variance * (1 / k + 1 / (k - 1))))


def spread(scores: list[float]) -> float:
    """The standard deviation of fold scores (what the report shows beside the mean)."""
    if len(scores) < 2:
        return 0.0
    mean = sum(scores) / len(scores)
    return math.sqrt(sum((s - mean) ** 2 for s in scores) / (len(scores) - 1))
