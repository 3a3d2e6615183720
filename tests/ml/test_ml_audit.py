"""The audit's verdicts from scripted runs (no sandbox): which sequence of rerun predictions makes a
leak and which a missing seed. The real-sandbox cases are in test_ml_harness.py."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from triloop.ml import harness
from triloop.ml.datasets import init_bundled
from triloop.ml.harness import PREDICTIONS, ExperimentRun, audit


def _write(folder: Path, predictions: list[int]) -> None:
    (folder / PREDICTIONS).mkdir(parents=True, exist_ok=True)
    lines = ["row_id,prediction"] + [f"{i},{p}" for i, p in enumerate(predictions)]
    (folder / PREDICTIONS / "valid.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _scripted_runs(monkeypatch, outputs: list[list[int]]) -> list[bool]:
    """Replace the sandbox run: the n-th run writes ``outputs[n]``; returns the runs' shuffle flags."""
    shuffles: list[bool] = []

    def fake_run(sandbox, root, task, script, keep=None, *, shuffle_valid=False):
        _write(keep, outputs[len(shuffles)])
        shuffles.append(shuffle_valid)
        return ExperimentRun(status="ok", metric=0.5, duration_s=1.0)

    monkeypatch.setattr(harness, "run_experiment", fake_run)
    return shuffles


FIRST = [0, 1, 2, 1, 0]
MOVED = [2, 1, 0, 1, 0]


@pytest.mark.parametrize(
    "outputs,verdict,runs",
    [
        ([FIRST], None, 1),  # same predictions on shuffled labels: learns from train.csv only
        ([MOVED, FIRST, FIRST], "leak", 3),  # only the shuffled labels move it
        ([MOVED, MOVED], "nondeterministic", 2),  # a plain rerun moves too
        ([MOVED, FIRST, MOVED], "nondeterministic", 3),  # the first rerun matched by chance
    ],
)
def test_the_audit_reads_the_reruns(monkeypatch, tmp_path, outputs, verdict, runs):
    task = init_bundled(tmp_path / "wine", "wine")
    _write(tmp_path / "kept", FIRST)
    shuffles = _scripted_runs(monkeypatch, outputs)
    found = audit(object(), tmp_path / "wine", task, "print('x')", tmp_path / "kept")
    assert (found.status if found else None) == verdict
    assert shuffles == [True] + [False] * (runs - 1)
    if found is not None:
        assert found.duration_s == runs
