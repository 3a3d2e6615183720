"""A task's data profile: the shape of its table, which is what makes a lesson of one task fit another.

"Class weights helped" is worth trying on another imbalanced table, not on digits. Lessons are stored
with the profile of the task that taught them and recalled by profile similarity (:mod:`lessons`);
the column summary also goes into every prompt, so a script knows which columns are text and which
have blanks without reading the data.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel

from triloop.ml.task import MLTask, data_path

MAX_COLUMNS_TEXT = 700


class DataProfile(BaseModel):
    """The shape of a task's training table."""

    name: str = ""  # the task it was taken from
    problem: str
    rows: int
    columns: int
    text_columns: int = 0
    blank_columns: int = 0
    classes: int = 0
    minority: float = 0.0  # the smallest class's share (classification)
    skew: float = 0.0  # the target's skewness (regression)
    target_min: float = 0.0  # the target's smallest value (regression: a log of it needs > -1)

    def describe(self) -> str:
        parts = [f"{self.problem}, {self.rows:,} rows, {self.columns} columns"]
        parts.append(f"{self.text_columns} text, {self.blank_columns} with blanks")
        if self.problem == "classification":
            parts.append(f"{self.classes} classes, smallest {self.minority:.0%}")
        else:
            parts.append(f"target skew {self.skew:.1f}")
        return "; ".join(parts)

    def similarity(self, other: DataProfile) -> float:
        """0 (another problem type) to 1 (the same shape): size, text and blank shares, imbalance
        or skew, each weighed alike."""
        if self.problem != other.problem:
            return 0.0
        terms = [
            1 - min(1.0, abs(math.log10(max(self.rows, 1)) - math.log10(max(other.rows, 1))) / 2),
            1 - abs(_share(self.text_columns, self.columns) - _share(other.text_columns, other.columns)),
            1 - abs(_share(self.blank_columns, self.columns) - _share(other.blank_columns, other.columns)),
        ]
        if self.problem == "classification":
            terms.append(1 - min(1.0, abs(self.minority - other.minority) / 0.5))
        else:
            terms.append(1 - min(1.0, abs(self.skew - other.skew) / 3))
        return sum(terms) / len(terms)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def read_training(root: Path, task: MLTask):  # (features, target) as pandas objects, imported lazily
    """``root``'s training table, split into the feature columns and the target (read once per run
    for both the profile and the columns summary)."""
    import pandas as pd

    frame = pd.read_csv(data_path(root, "train"))
    return frame.drop(columns=[task.target]), frame[task.target]


def profile_of(task: MLTask, features, y) -> DataProfile:  # pandas objects
    """The profile of a training table (:func:`read_training`)."""
    text = [c for c in features.columns if _is_text(features[c])]
    profile = DataProfile(
        name=task.name,
        problem=task.problem,
        rows=len(y),
        columns=features.shape[1],
        text_columns=len(text),
        blank_columns=int(features.isna().any().sum()),
    )
    if task.problem == "classification":
        shares = y.value_counts(normalize=True)
        profile.classes, profile.minority = len(shares), round(float(shares.min()), 3)
    else:
        profile.skew = round(float(y.astype(float).skew()), 2)
        profile.target_min = float(y.min())
    return profile


def _is_text(column) -> bool:  # a pandas Series
    import pandas as pd

    return not pd.api.types.is_numeric_dtype(column)


def _blank(column) -> str:  # a pandas Series
    share = float(column.isna().mean())
    return "" if share == 0 else f"{max(share, 0.01):.0%} blank"


def columns_summary(features) -> str:  # a pandas DataFrame
    """The feature columns in a few words: text ones with their commonest values, number ones by name,
    blanks noted (``text: Home (rent, owner, ...); numbers: Age, Income (9% blank)``); cut to a few
    hundred characters, since prompt length is cost."""
    text, numbers = [], []
    for name in features.columns:
        column = features[name]
        blank = _blank(column)
        if _is_text(column):
            values = [str(v) for v in column.dropna().value_counts().index[:3]]
            values += ["..."] if column.nunique() > 3 else []
            text.append(f"{name} ({', '.join(values + ([blank] if blank else []))})")
        else:
            numbers.append(f"{name} ({blank})" if blank else str(name))
    parts = ([f"text: {', '.join(text)}"] if text else []) + (
        [f"numbers: {', '.join(numbers)}"] if numbers else []
    )
    summary = "; ".join(parts)
    return summary if len(summary) <= MAX_COLUMNS_TEXT else summary[:MAX_COLUMNS_TEXT] + " ..."
