"""The portfolio's drafts alone, beside the baseline: what `triloop ml` gets before any model call.

For each task: the baseline and every draft of `triloop/ml/drafts.py` that fits its problem type,
cross-validated by the harness in the sandbox and refit once for a test score (scored here, for the
benchmark only), and which one the promotion rule keeps when the drafts run in the loop's order. So
an ML run's result can be split into what the fixed portfolio gives and what the agents add.

Prints a table and writes benchmarks/results/ml_portfolio.json.
Run: .venv/bin/python benchmarks/ml_portfolio.py [--tasks credit,attrition,...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"
TASKS = "credit,attrition,churn,health_insurance,wage,houses,hmda,titanic"


def one_task(sandbox, root: Path, name: str) -> dict:
    from triloop.ml.baseline import baseline_script
    from triloop.ml.datasets import init_dataset
    from triloop.ml.drafts import DRAFTS, draft_script, drafts_for
    from triloop.ml.harness import PREDICTIONS, run_experiment, score_predictions
    from triloop.ml.profile import profile_of, read_training
    from triloop.ml.selection import gain

    task = init_dataset(root / name, name)
    order = drafts_for(profile_of(task, *read_training(root / name, task)), task.metric)
    scripts = {"baseline": baseline_script(task)}
    # every draft of its problem type, also those its shape skips
    scripts |= {d: draft_script(d, task) for d, draft in DRAFTS.items() if task.problem in draft.problems}
    rows = {}
    for label, script in scripts.items():
        keep = root / name / "runs" / label.replace(" ", "_")
        got = run_experiment(sandbox, root / name, task, script, keep=keep)
        test = (
            score_predictions(root / name, task, keep / PREDICTIONS, "test") if got.status == "ok" else None
        )
        rows[label] = {
            "status": got.status,
            "cv": got.metric,
            "folds": got.folds,
            "test": test,
            "s": got.duration_s,
        }
    best = "baseline" if rows["baseline"]["status"] == "ok" else None
    for d in order:  # the loop's order and its promotion rule (experiments.best_so_far, without the audit)
        if rows[d]["status"] == "ok" and (
            best is None or gain(task.metric, rows[d]["folds"], rows[best]["folds"]).real
        ):
            best = d
    return {
        "task": name,
        "metric": task.metric,
        "direction": task.direction,
        "order": order,
        "runs": rows,
        "kept": best,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=TASKS)
    parser.add_argument("--out", type=Path, default=RESULTS / "ml_portfolio.json")
    args = parser.parse_args()

    from triloop.config import load_settings
    from triloop.graphs.factory import open_tools

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    done = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        _, sandbox = open_tools(stack, load_settings())
        for name in args.tasks.split(","):
            done.append(one_task(sandbox, Path(tmp), name))
            args.out.write_text(json.dumps({"commit": commit, "tasks": done}, indent=2))

    table = Table(title=f"the portfolio alone (commit {commit}): CV / test")
    for col in ("task", "metric", "baseline", "drafts", "kept", "kept beats baseline on test"):
        table.add_column(col)
    for t in done:
        r = t["runs"]
        fmt = lambda x: "failed" if x["cv"] is None else f"{x['cv']:.4f} / {x['test']:.4f}"  # noqa: E731
        drafts = "; ".join(f"{d}: {fmt(x)}" for d, x in r.items() if d != "baseline")
        base, kept = r["baseline"]["test"], r[t["kept"]]["test"]
        won = kept > base if t["direction"] == "maximize" else kept < base
        table.add_row(
            t["task"],
            t["metric"],
            fmt(r["baseline"]),
            drafts,
            t["kept"],
            str(won and t["kept"] != "baseline"),
        )
    Console().print(table)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
