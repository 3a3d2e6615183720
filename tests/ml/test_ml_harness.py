"""One experiment in the REAL sandbox: the harness cross-validates build_model() and decides the metric
(printed numbers, wrong predictions, crashes, timeouts, reading the data or the hidden test labels)."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("pandas")

from triloop.ml.baseline import baseline_script
from triloop.ml.datasets import init_dataset
from triloop.ml.harness import audit, run_experiment, score_predictions


@pytest.mark.parametrize("dataset,floor", [("wine", 0.8), ("diabetes", None), ("credit", 0.6)])
def test_the_baseline_is_cross_validated_and_scored_by_the_harness(sandbox, tmp_path, dataset, floor):
    """wine and diabetes are numeric; credit has text columns and blank cells, which the baseline's
    pipeline encodes itself."""
    root = tmp_path / dataset
    task = init_dataset(root, dataset)
    run = run_experiment(sandbox, root, task, baseline_script(task), keep=tmp_path / "kept")
    assert run.status == "ok", run.detail
    assert len(run.folds) == task.folds and run.metric == pytest.approx(sum(run.folds) / task.folds)
    if floor is not None:
        assert run.metric >= floor and run.train_metric >= run.metric  # fitted rows score better
    else:
        assert 30 < run.metric < 90 and run.train_metric <= run.metric  # rmse (target spread about 77)
    assert "fold 4:" in run.output  # the program's fold timings, for the Reviewer
    test_score = score_predictions(root, task, tmp_path / "kept" / "predictions", "test")  # hidden labels
    assert test_score == pytest.approx(run.metric, abs=0.25 if floor else 25)


_MODEL = "from sklearn.linear_model import LogisticRegression\n"
SCRIPTS = {
    "printed_only": (
        _MODEL + "from sklearn.dummy import DummyClassifier\nprint('f1_macro: 1.0')\n"
        "def build_model():\n    return DummyClassifier(strategy='most_frequent')\n",
        "ok",
        "",
    ),
    "no_build_model": ("print('hello')\n", "failed", "defines no build_model()"),
    "not_a_model": ("def build_model():\n    return 42\n", "failed", "no fit(X, y) and predict(X)"),
    "short": (
        _MODEL
        + "class Short(LogisticRegression):\n    def predict(self, X):\n        return super().predict(X)[:3]\n"
        "def build_model():\n    return Short()\n",
        "failed",
        "gave 3 values",
    ),
    "crash": ("def build_model():\n    raise RuntimeError('boom')\n", "failed", "RuntimeError: boom"),
    "reads_data": (
        "import pandas as pd\ntrain = pd.read_csv('data/train.csv')\n"
        + _MODEL
        + "def build_model():\n    return LogisticRegression()\n",
        "failed",
        "No such file",
    ),
    "peek": ("print(open('.triloop/test_labels.csv').read())\n", "failed", "No such file"),
}


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_the_harness_decides_the_metric(sandbox, tmp_path, name):
    script, status, fragment = SCRIPTS[name]
    root = tmp_path / "wine"
    task = init_dataset(root, "wine")
    run = run_experiment(sandbox, root, task, script)
    assert run.status == status and fragment in run.detail, run.detail
    if name == "crash":  # where it failed first, the error itself last (what a fix and its label read)
        assert "fold 0: build_model() failed:" in run.detail
        assert run.detail.strip().splitlines()[-1] == "RuntimeError: boom"
    if status == "ok":  # it printed 1.0; the harness scored what it predicted: one class of three
        assert run.metric < 0.3
    else:
        assert run.metric is None


def test_a_runaway_experiment_times_out(sandbox, tmp_path):
    root = tmp_path / "wine"
    task = init_dataset(root, "wine").model_copy(update={"experiment_timeout_s": 2})
    run = run_experiment(sandbox, root, task, "def build_model():\n    while True:\n        pass\n")
    assert run.status == "timeout"


def test_the_harness_process_holds_no_label_the_script_could_look_up(sandbox, tmp_path):
    """The labels of held-out rows are not in the process a fit runs in: not in the harness program's
    globals, and no table of the full size is left to find."""
    snoop = (
        "import __main__, gc\nimport pandas as pd\n"
        "tables = [o for o in gc.get_objects() if isinstance(o, (pd.DataFrame, pd.Series))]\n"
        "print('data left:', sorted(__main__._data), 'largest table:', max(len(t) for t in tables))\n"
        + _MODEL
        + "def build_model():\n    return LogisticRegression(max_iter=2000)\n"
    )
    root = tmp_path / "wine"
    task = init_dataset(root, "wine")
    run = run_experiment(sandbox, root, task, snoop)
    assert run.status == "ok", run.detail
    sizes = [int(line.rsplit(" ", 1)[1]) for line in run.output.splitlines() if "largest table" in line]
    assert "data left: []" in run.output and len(sizes) == task.folds + 1  # each fold, then the refit
    assert all(size < task.rows["train"] for size in sizes[:-1])  # a fold's process: its training rows only


def test_a_model_instance_shared_at_module_level_starts_afresh_in_each_fold(sandbox, tmp_path):
    """A warm-started model kept at module level would carry fold k-1's fit (which saw fold k's rows)
    into fold k; each fold imports the script afresh, so it cannot."""
    shared = (
        "from sklearn.linear_model import SGDClassifier\n"
        "MODEL = SGDClassifier(warm_start=True, random_state=0)\n"
        "FITS = []\n"
        "class Counted(SGDClassifier):\n"
        "    def fit(self, X, y):\n"
        "        FITS.append(1)\n"
        "        print('fits in this process:', len(FITS))\n"
        "        return super().fit(X, y)\n"
        "def build_model():\n    return Counted(random_state=0)\n"
    )
    root = tmp_path / "wine"
    task = init_dataset(root, "wine")
    run = run_experiment(sandbox, root, task, shared)
    assert run.status == "ok", run.detail
    assert "fits in this process: 1" in run.output and "fits in this process: 2" not in run.output


# Unseeded, and certain to move: the predictions are shuffled at random.
NOISY = (
    _MODEL
    + "import numpy as np\n"
    + "class Shuffled(LogisticRegression):\n"
    + "    def predict(self, X):\n"
    + "        return np.random.permutation(super().predict(X))\n"
    + "def build_model():\n    return Shuffled(max_iter=2000)\n"
)
HONEST = _MODEL + "def build_model():\n    return LogisticRegression(max_iter=2000)\n"


@pytest.mark.parametrize("script,verdict", [(HONEST, None), (NOISY, "nondeterministic")])
def test_the_audit_reruns_a_would_be_best(sandbox, tmp_path, script, verdict):
    root = tmp_path / "wine"
    task = init_dataset(root, "wine")
    first = run_experiment(sandbox, root, task, script, keep=tmp_path / "kept")
    assert first.status == "ok", first.detail
    found = audit(sandbox, root, task, script, tmp_path / "kept")
    assert (found.status if found else None) == verdict
    if found is not None:
        assert "seed" in found.detail
