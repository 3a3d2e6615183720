"""Per-experiment wall time: a fresh `python3 experiment.py` per experiment beside one sandbox session
with the imports loaded and each experiment in a fork (triloop.ml.runner).

The fixed baseline script of each bundled dataset runs --repeats times both ways (no model involved).
Prints a table and writes benchmarks/results/ml_session.json.
Run: .venv/bin/python benchmarks/ml_session.py [--repeats 5] [--datasets wine,digits,breast_cancer,diabetes]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"


def timed(runner, root: Path, task, script: str, repeats: int) -> list[float]:
    from triloop.ml.harness import run_experiment

    walls = []
    for _ in range(repeats):
        started = time.monotonic()
        run = run_experiment(runner, root, task, script)
        if run.status != "ok":
            raise SystemExit(f"{task.name}: the baseline did not run: {run.detail[-300:]}")
        walls.append(time.monotonic() - started)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--datasets", default="wine,digits,breast_cancer,diabetes")
    args = parser.parse_args()

    from triloop.ml.baseline import baseline_script
    from triloop.ml.datasets import init_dataset
    from triloop.ml.runner import ExperimentSession, OneShot
    from triloop.tools.sandbox.factory import create_sandbox

    rows = []
    with create_sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        for dataset in args.datasets.split(","):
            root = Path(tmp) / dataset
            task = init_dataset(root, dataset)
            script = baseline_script(task)
            fresh = timed(OneShot(sandbox), root, task, script, args.repeats)
            session = ExperimentSession(sandbox)
            try:
                timed(session, root, task, script, 1)  # the session's start and imports, paid once
                forked = timed(session, root, task, script, args.repeats)
            finally:
                session.close()
            rows.append(
                {
                    "dataset": dataset,
                    "backend": sandbox.name,
                    "fresh_median_s": round(statistics.median(fresh), 2),
                    "session_median_s": round(statistics.median(forked), 2),
                    "saved_s": round(statistics.median(fresh) - statistics.median(forked), 2),
                }
            )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    out = RESULTS / "ml_session.json"
    out.write_text(json.dumps({"commit": commit.strip(), "repeats": args.repeats, "rows": rows}, indent=2))
    table = Table(title=f"baseline experiment wall time, median of {args.repeats}")
    for col in ("dataset", "backend", "fresh python3 (s)", "session fork (s)", "saved (s)"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["dataset"],
            r["backend"],
            str(r["fresh_median_s"]),
            str(r["session_median_s"]),
            str(r["saved_s"]),
        )
    Console().print(table)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
