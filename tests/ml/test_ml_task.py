"""`triloop ml init`: task directories from the bundled datasets and from a CSV; clear errors."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from triloop.ml.datasets import init_bundled, init_csv
from triloop.ml.metrics import better, compute
from triloop.ml.task import MLTaskError, data_path, labels_path, load_task

SIZES = {"digits": 1797, "breast_cancer": 569, "wine": 178, "diabetes": 442}


def header(path: Path) -> list[str]:
    with path.open(newline="") as fh:
        return next(csv.reader(fh))


def count(path: Path) -> int:
    return sum(1 for _ in path.open()) - 1


@pytest.mark.parametrize("dataset", list(SIZES))
def test_bundled_datasets_make_ready_tasks_with_hidden_test_labels(tmp_path, dataset):
    root = tmp_path / dataset
    task = init_bundled(root, dataset)
    assert load_task(root) == task
    assert sum(task.rows.values()) == SIZES[dataset]
    assert [count(data_path(root, s)) for s in ("train", "valid", "test")] == [
        task.rows[s] for s in ("train", "valid", "test")
    ]
    assert "target" in header(data_path(root, "train")) and "target" not in header(data_path(root, "test"))
    assert count(labels_path(root)) == task.rows["test"] and ".triloop" in str(labels_path(root))
    assert task.metric in ("f1_macro", "rmse") and task.direction == (
        "minimize" if dataset == "diabetes" else "maximize"
    )
    assert task.metric in (root / "task.md").read_text()
    first = data_path(root, "valid").read_bytes()
    init_bundled(root, dataset, force=True)
    assert data_path(root, "valid").read_bytes() == first  # fixed splits: the same task every time


def write_csv(path: Path, rows: list[list[object]], head: list[str]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(head)
        writer.writerows(rows)
    return path


def test_a_csv_becomes_a_task_and_its_problem_is_read_from_the_target(tmp_path):
    labels = write_csv(
        tmp_path / "l.csv", [[i, i % 7, "yes" if i % 3 else "no"] for i in range(60)], ["a", "b", "label"]
    )
    task = init_csv(tmp_path / "t1", labels, "label")
    assert task.problem == "classification" and task.metric == "f1_macro"
    values = write_csv(tmp_path / "v.csv", [[i, i * 0.37 + 1.5] for i in range(60)], ["x", "y"])
    task = init_csv(tmp_path / "t2", values, "y", metric="mae")
    assert task.problem == "regression" and task.direction == "minimize"


@pytest.mark.parametrize(
    "make,fragment",
    [
        (lambda d: init_csv(d / "t", d / "missing.csv", "y"), "no CSV file"),
        (
            lambda d: init_csv(d / "t", write_csv(d / "a.csv", [[1, 2]] * 30, ["x", "y"]), "z"),
            "no column 'z'",
        ),
        (
            lambda d: init_csv(d / "t", write_csv(d / "b.csv", [["red", 2]] * 30, ["x", "y"]), "y"),
            "must be numbers",
        ),
        (lambda d: init_bundled(d / "t", "diabetes", metric="f1_macro"), "is for classification"),
        (lambda d: init_bundled(d / "t", "iris"), "unknown dataset"),
        (lambda d: init_bundled(d / "t", "wine", metric="auc"), "unknown metric"),
        (lambda d: init_csv(d / "t", write_csv(d / "c.csv", [[1, 2]] * 5, ["x", "y"]), "y"), "too few"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, make, fragment):
    with pytest.raises(MLTaskError, match=fragment):
        make(tmp_path)


def test_an_existing_task_is_not_overwritten_without_force(tmp_path):
    init_bundled(tmp_path / "w", "wine")
    with pytest.raises(MLTaskError, match="--force"):
        init_bundled(tmp_path / "w", "wine")


def test_metrics_and_their_directions():
    assert compute("accuracy", [1, 0, 1, 1], [1, 0, 0, 1]) == 0.75
    assert compute("rmse", [1.0, 2.0], [1.0, 4.0]) == pytest.approx(2**0.5)
    assert better("rmse", 1.0, 2.0) and better("f1_macro", 0.9, 0.8)
    with pytest.raises(ValueError, match="predictions for"):
        compute("accuracy", [1, 2], [1])


def test_cli_init_and_its_errors(tmp_path):
    triloop = str(Path(sys.executable).with_name("triloop"))
    env = {**os.environ, "COLUMNS": "200"}
    ok = subprocess.run(
        [triloop, "ml", "init", str(tmp_path / "d"), "--dataset", "digits"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ok.returncode == 0 and "task written" in ok.stdout
    for args, fragment in (
        (["--dataset", "wine", "--csv", "x.csv"], "either --dataset"),
        (["--csv", str(tmp_path / "none.csv"), "--target", "y"], "no CSV file"),
        (["--dataset", "digits"], "not empty"),
    ):
        bad = subprocess.run(
            [triloop, "ml", "init", str(tmp_path / "d"), *args], capture_output=True, text=True, env=env
        )
        assert bad.returncode == 2 and fragment in bad.stderr and "Traceback" not in bad.stderr
