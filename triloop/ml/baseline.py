"""The fixed-script baseline an ML run is compared with: one default gradient-boosting model."""

from __future__ import annotations

from triloop.ml.task import MLTask

_SCRIPT = """import csv
import numpy as np
from sklearn.ensemble import {model}

def read(path, target=None):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    if target is None:
        return np.array(body, dtype=float), None
    col = header.index(target)
    x = np.array([[v for i, v in enumerate(r) if i != col] for r in body], dtype=float)
    return x, np.array([r[col] for r in body])

x_train, y_train = read("data/train.csv", "{target}")
x_valid, _ = read("data/valid.csv", "{target}")
x_test, _ = read("data/test.csv")
model = {model}(random_state={seed}).fit(x_train, y_train{cast})

import os
os.makedirs("predictions", exist_ok=True)
for name, x in (("train", x_train), ("valid", x_valid), ("test", x_test)):
    with open(f"predictions/{{name}}.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["prediction"])
        writer.writerows([p] for p in model.predict(x))
"""


def baseline_script(task: MLTask) -> str:
    """A default ``HistGradientBoosting`` model on all features, seeded by the task."""
    regression = task.problem == "regression"
    model = "HistGradientBoostingRegressor" if regression else "HistGradientBoostingClassifier"
    cast = ".astype(float)" if regression else ""
    return _SCRIPT.format(model=model, target=task.target, seed=task.seed, cast=cast)
