"""The program that cross-validates an experiment in the sandbox (written there as ``_harness.py``).

It reads the data and removes it from the run folder. Each fit then happens in a child process that
keeps only what that fit may see: the fold's training rows with their labels and the held-out rows
without theirs; it imports ``experiment.py`` only then. So the script cannot read held-out labels by
any path (a file, ``__main__``'s globals, a caller's frame: they are not in the process), and a
model cannot carry state from one fold to the next (each fold imports the script afresh). The
children write the out-of-fold predictions and, from one refit on all training rows, the
training-row and test predictions; the harness on the host scores them against its own labels.

Runs in the sandbox's Python (Debian's numpy, pandas 1.5, scikit-learn 1.2), so it keeps to old APIs.
"""

ENTRY = "_harness.py"
SPEC = "cv.json"

SOURCE = '''"""Cross-validate experiment.py's build_model() (written by triloop's ML harness)."""
import gc, json, os, shutil, sys, time, traceback
import numpy as np
import pandas as pd

with open("cv.json") as _fh:
    _spec = json.load(_fh)
os.remove("cv.json")
_data = {name: pd.read_csv(f"data/{name}.csv", float_precision="round_trip") for name in ("train", "test")}
shutil.rmtree("data")  # the script reads no files: it gets rows only through fit(X, y)
os.makedirs("predictions", exist_ok=True)


def _fail(message):
    print(message, file=sys.stderr, flush=True)
    os._exit(1)


def _child(fit_rows, predict_sets, out):
    """In a fresh child: keep the rows this fit may see, import the script, fit, predict, write."""
    pid = os.fork()
    if pid:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    try:
        train = _data["train"]
        y = train.pop(_spec["target"])
        if _spec["problem"] == "regression":
            y = y.astype(float)
        x_fit, y_fit = train[fit_rows].reset_index(drop=True), y[fit_rows].reset_index(drop=True)
        sets = {name: (train[rows] if rows is not None else _data["test"]).reset_index(drop=True)
                for name, rows in predict_sets.items()}
        del train, y, _data["train"], _data["test"]
        gc.collect()  # the labels of held-out rows are gone from this process
        sys.path.insert(0, os.getcwd())
        stage = "importing experiment.py"
        import experiment
        build = getattr(experiment, "build_model", None)
        if not callable(build):
            _fail("experiment.py defines no build_model(): define it to return an unfitted scikit-learn "
                  "model (a Pipeline, usually) that has fit(X, y) and predict(X)")
        stage = "build_model()"
        model = build()
        if not (hasattr(model, "fit") and hasattr(model, "predict")):
            _fail(f"build_model() returned {type(model).__name__}, which has no fit(X, y) and predict(X)")
        stage = "build_model().fit(X, y)"
        model.fit(x_fit, y_fit)
        for name, x in sets.items():
            stage = f"predict(X) on the {name} rows"
            values = np.asarray(model.predict(x)).ravel()
            if len(values) != len(x):
                _fail(f"{out}: predict(X) gave {len(values)} values for {len(x)} rows")
            pd.DataFrame({"prediction": values}).to_csv(f"predictions/{out}-{name}.csv", index=False)
        sys.stdout.flush()
        os._exit(0)
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            _fail(exc.code if isinstance(exc.code, str) else f"experiment.py called sys.exit({exc.code})")
        print(f"{out}: {locals().get('stage', 'preparing the rows')} failed:", file=sys.stderr)
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != os.path.abspath("experiment.py"):
            tb = tb.tb_next  # from the script's own frame on, when it is in the traceback
        traceback.print_exception(type(exc), exc, tb or exc.__traceback__)  # the error is the last line
        sys.stderr.flush()
        os._exit(1)


_folds = np.asarray(_spec["folds"])
_everything = np.ones(len(_folds), dtype=bool)
_out = np.empty(len(_folds), dtype=object)
for _k in sorted(set(_folds.tolist())):
    _start, _held = time.monotonic(), _folds == _k
    if _child(~_held, {"held-out": _held}, f"fold {_k}") != 0:
        sys.exit(1)
    _file = f"predictions/fold {_k}-held-out.csv"
    _out[_held] = pd.read_csv(_file, dtype=str, keep_default_na=False)["prediction"].to_numpy()
    os.remove(_file)
    print(f"fold {_k}: {time.monotonic() - _start:.1f} s", flush=True)
pd.DataFrame({"prediction": _out}).to_csv("predictions/cv.csv", index=False)
if _child(_everything, {"train": _everything, "test": None}, "refit") != 0:
    sys.exit(1)
os.replace("predictions/refit-train.csv", "predictions/train.csv")
os.replace("predictions/refit-test.csv", "predictions/test.csv")
'''
