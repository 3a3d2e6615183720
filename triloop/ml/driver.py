"""The program that cross-validates an experiment in the sandbox (written there as ``_harness.py``).

It reads the data, then removes it from the run folder before it imports ``experiment.py``: the script
gets rows only through ``fit(X, y)``, fold by fold, so it cannot read held-out labels by any path (a
target encoding fitted on all rows, ``fit(pd.concat([train, valid]))``, ...). It writes the
out-of-fold predictions and, from one refit on all training rows, the training-row and test
predictions. The harness on the host scores them against its own copy of the labels.

Runs in the sandbox's Python (Debian's numpy, pandas 1.5, scikit-learn 1.2), so it keeps to old APIs.
"""

ENTRY = "_harness.py"
SPEC = "cv.json"

SOURCE = '''"""Cross-validate experiment.py's build_model() (written by triloop's ML harness)."""
import json, os, shutil, sys, time
import numpy as np
import pandas as pd

with open("cv.json") as _fh:
    _spec = json.load(_fh)
os.remove("cv.json")
_train = pd.read_csv("data/train.csv")
_test = pd.read_csv("data/test.csv")
shutil.rmtree("data")  # the script reads no files: it gets rows only through fit(X, y)
_y = _train.pop(_spec["target"])
if _spec["problem"] == "regression":
    _y = _y.astype(float)
_X, _folds = _train, np.asarray(_spec["folds"])
sys.path.insert(0, os.getcwd())
import experiment

_build = getattr(experiment, "build_model", None)
if not callable(_build):
    sys.exit("experiment.py defines no build_model(): define it to return an unfitted scikit-learn "
             "model (a Pipeline, usually) that has fit(X, y) and predict(X)")


def _fitted(rows, stage):
    model = _build()
    if not (hasattr(model, "fit") and hasattr(model, "predict")):
        sys.exit(f"build_model() returned {type(model).__name__}, which has no fit(X, y) and predict(X)")
    try:
        model.fit(_X[rows].reset_index(drop=True), _y[rows].reset_index(drop=True))
    except BaseException:
        print(f"{stage}: build_model().fit(X, y) failed", file=sys.stderr)
        raise
    return model


def _predicted(model, x, stage):
    try:
        values = np.asarray(model.predict(x)).ravel()
    except BaseException:
        print(f"{stage}: predict(X) failed", file=sys.stderr)
        raise
    if len(values) != len(x):
        sys.exit(f"{stage}: predict(X) gave {len(values)} values for {len(x)} rows")
    return values


os.makedirs("predictions", exist_ok=True)
_out = np.empty(len(_y), dtype=object)
for _k in sorted(set(_folds.tolist())):
    _start, _held = time.monotonic(), _folds == _k
    _model = _fitted(~_held, f"fold {_k}")
    _out[_held] = _predicted(_model, _X[_held].reset_index(drop=True), f"fold {_k}")
    print(f"fold {_k}: {time.monotonic() - _start:.1f} s", flush=True)
pd.DataFrame({"prediction": _out}).to_csv("predictions/cv.csv", index=False)
_model = _fitted(np.ones(len(_y), dtype=bool), "refit on all training rows")
pd.DataFrame({"prediction": _predicted(_model, _X, "refit")}).to_csv("predictions/train.csv", index=False)
pd.DataFrame({"prediction": _predicted(_model, _test, "test")}).to_csv("predictions/test.csv", index=False)
'''
