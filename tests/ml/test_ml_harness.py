"""One experiment in the REAL sandbox: the baseline scores, and the harness, not the script, decides
the metric (printed numbers, missing or short predictions, crashes, timeouts, hidden test labels)."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")

from triloop.ml.baseline import baseline_script
from triloop.ml.datasets import init_bundled
from triloop.ml.harness import run_experiment, score_predictions


@pytest.mark.parametrize("dataset,floor", [("wine", 0.8), ("diabetes", None)])
def test_the_baseline_runs_and_is_scored_from_its_predictions(sandbox, tmp_path, dataset, floor):
    root = tmp_path / dataset
    task = init_bundled(root, dataset)
    run = run_experiment(sandbox, root, task, baseline_script(task), keep=tmp_path / "kept")
    assert run.status == "ok", run.detail
    if floor is not None:
        assert run.metric >= floor
    else:
        assert 30 < run.metric < 90  # rmse of disease progression (target spread about 77)
    assert run.train_metric is not None  # the baseline writes its training predictions too
    assert (
        run.train_metric >= run.metric if floor else run.train_metric <= run.metric
    )  # fitted rows score better
    test_score = score_predictions(root, task, tmp_path / "kept" / "predictions", "test")  # hidden labels
    assert test_score == pytest.approx(run.metric, abs=0.25 if floor else 25)


SCRIPTS = {
    "printed_only": ("print('f1_macro: 1.0')", "bad_predictions", "valid.csv"),
    "short": (
        "import os\nos.makedirs('predictions')\nopen('predictions/valid.csv','w').write('prediction\\n0\\n')",
        "bad_predictions",
        "predictions for",
    ),
    "crash": ("import sklearn\nraise RuntimeError('boom')", "failed", "RuntimeError: boom"),
    "peek": ("print(open('.triloop/test_labels.csv').read())", "failed", "No such file"),
}


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_the_harness_decides_the_metric(sandbox, tmp_path, name):
    script, status, fragment = SCRIPTS[name]
    root = tmp_path / "wine"
    task = init_bundled(root, "wine")
    run = run_experiment(sandbox, root, task, script)
    assert run.status == status and fragment in run.detail and run.metric is None


def test_a_runaway_experiment_times_out(sandbox, tmp_path):
    root = tmp_path / "wine"
    task = init_bundled(root, "wine").model_copy(update={"experiment_timeout_s": 2})
    run = run_experiment(sandbox, root, task, "while True:\n    pass")
    assert run.status == "timeout"


# Scripts the audit must tell apart. The leaky one trains on train + valid (its validation score is
# flattering); the noisy one adds unseeded randomness to its predictions.
_READ = """import os
import pandas as pd
from sklearn.linear_model import LogisticRegression
train, valid, test = (pd.read_csv(f"data/{s}.csv") for s in ("train", "valid", "test"))
features = [c for c in test.columns]
"""
_WRITE = """os.makedirs("predictions", exist_ok=True)
pd.DataFrame({"prediction": model.predict(valid[features])}).to_csv("predictions/valid.csv", index=False)
pd.DataFrame({"prediction": model.predict(test[features])}).to_csv("predictions/test.csv", index=False)
"""
AUDITED = {
    "honest": (
        _READ + "model = LogisticRegression(max_iter=2000).fit(train[features], train['target'])\n" + _WRITE,
        None,
    ),
    "leaky": (
        _READ
        + "both = pd.concat([train, valid])\n"
        + "model = LogisticRegression(max_iter=2000).fit(both[features], both['target'])\n"
        + _WRITE,
        "leak",
    ),
    "noisy": (
        _READ
        + "import numpy as np\n"
        # unseeded, and certain to move: a model refit on a random half of train.csv gave the same
        # validation predictions twice in a CI run, which the audit then read as a leak
        + "class Shuffled(LogisticRegression):\n"
        + "    def predict(self, X):\n"
        + "        return np.random.permutation(super().predict(X))\n"
        + "model = Shuffled(max_iter=2000).fit(train[features], train['target'])\n"
        + _WRITE,
        "nondeterministic",
    ),
}


@pytest.mark.parametrize("name", list(AUDITED))
def test_the_audit_catches_training_on_validation_labels_and_missing_seeds(sandbox, tmp_path, name):
    from triloop.ml.harness import audit

    script, verdict = AUDITED[name]
    root = tmp_path / "wine"
    task = init_bundled(root, "wine")
    first = run_experiment(sandbox, root, task, script, keep=tmp_path / "kept")
    assert first.status == "ok", first.detail  # the plain run cannot tell: it scores well
    found = audit(sandbox, root, task, script, tmp_path / "kept")
    assert (found.status if found else None) == verdict
    if found is not None:
        assert "train" in found.detail or "seed" in found.detail
