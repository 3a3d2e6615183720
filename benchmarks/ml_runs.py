"""`triloop ml` on the bundled datasets beside the fixed-script baseline, memory off then on.

For each dataset: a fresh task directory, then a run that reads no lessons (the lesson it stores stays),
then the same task again in a fresh directory with that memory on, so the second pass shows whether
stored lessons helped. Reports per run: baseline and best validation metric, the best experiment's
test metric, experiments tried (and how many failed or leaked), tokens and wall time.

Prints a table and writes benchmarks/results/ml_runs-<model>.json (resumable: finished runs are kept).
Run: .venv/bin/python benchmarks/ml_runs.py [--model local] [--minutes 10] [--datasets digits,breast_cancer,diabetes]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"


def one_run(
    llm, sandbox, memory, root: Path, dataset: str, minutes: float, max_experiments: int, read_lessons: bool
) -> dict:
    from triloop.ml.datasets import init_bundled
    from triloop.ml.harness import PREDICTIONS, score_predictions
    from triloop.ml.loop import MLRun
    from triloop.ml.report import write_report

    task = init_bundled(root, dataset, budget_minutes=minutes, force=True)
    started = time.monotonic()
    # the first pass reads no lessons (not even those its earlier datasets just stored); both store theirs
    run = MLRun(llm, sandbox, root, task, memory=memory if read_lessons else None)
    run.run(budget_minutes=minutes, max_experiments=max_experiments)
    summary = write_report(root, task, run.experiments, run.lessons)
    run.memory = memory
    run.remember()
    statuses = [e.status for e in run.experiments]
    # The fixed-script baseline's test score, for the benchmark only (the report scores the best alone).
    base = next((e for e in run.experiments if e.action == "baseline" and e.metric is not None), None)
    baseline_test = (
        score_predictions(root, task, (root / base.code_path).parent / PREDICTIONS, "test") if base else None
    )
    return {
        "dataset": dataset,
        "metric": task.metric,
        "direction": task.direction,
        "baseline_valid": summary.get("baseline_valid"),
        "baseline_test": baseline_test,
        "best_valid": summary.get("valid"),
        "best_test": summary.get("test"),
        "best_idea": next((e.idea for e in run.experiments if e.id == summary.get("best")), None),
        "experiments": len(run.experiments),
        "failed": sum(s not in ("ok", "leak", "nondeterministic") for s in statuses),
        "leaks_refused": statuses.count("leak"),  # static check or the shuffled-label audit
        "nondeterministic": statuses.count("nondeterministic"),
        "tokens": sum(e.tokens for e in run.experiments),
        "wall_s": round(time.monotonic() - started, 1),
        "lessons_given": bool(run.lessons),
        "ideas_from_lessons": [
            {"id": e.id, "idea": e.idea, "status": e.status, "metric": e.metric}
            for e in run.experiments
            if e.lesson
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--max-experiments", type=int, default=30)
    parser.add_argument("--datasets", default="digits,breast_cancer,diabetes")
    parser.add_argument("--work", type=Path, default=Path("/tmp/triloop-ml-runs"))
    args = parser.parse_args()

    from triloop.config import load_settings
    from triloop.graphs.factory import open_llm, open_tools
    from triloop.graphs.memory_store import StoreMemory
    from triloop.memory.settings import MemorySettings
    from triloop.memory.store import MemoryStore

    out = RESULTS / f"ml_runs-{args.model}.json"
    done = json.loads(out.read_text())["runs"] if out.is_file() else []
    have = {(r["dataset"], r["pass"]) for r in done}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    settings = load_settings(llm={"model": args.model})
    with ExitStack() as stack:
        llm = open_llm(stack, settings)
        _, sandbox = open_tools(stack, settings)
        store = stack.enter_context(MemoryStore(MemorySettings(dir=args.work / "memory")))
        memory = StoreMemory(store)
        for memory_pass in ("memory-empty", "memory-on"):
            for dataset in args.datasets.split(","):
                if (dataset, memory_pass) in have:
                    continue
                row = one_run(
                    llm,
                    sandbox,
                    memory,
                    args.work / memory_pass / dataset,
                    dataset,
                    args.minutes,
                    args.max_experiments,
                    read_lessons=memory_pass == "memory-on",
                )
                done.append(
                    {
                        **row,
                        "pass": memory_pass,
                        "commit": commit,
                        "model": args.model,
                        "minutes": args.minutes,
                    }
                )
                out.write_text(json.dumps({"runs": done}, indent=2))

    table = Table(title=f"triloop ml ({args.model}, {args.minutes:g} min per run)")
    for col in (
        "dataset",
        "pass",
        "metric",
        "base valid",
        "base test",
        "best valid",
        "best test",
        "exps",
        "failed",
        "tokens",
        "s",
    ):
        table.add_column(col)
    fmt = lambda v: f"{v:.4f}" if isinstance(v, float) else str(v)  # noqa: E731
    for r in done:
        table.add_row(
            r["dataset"],
            r["pass"],
            r["metric"],
            fmt(r["baseline_valid"]),
            fmt(r.get("baseline_test")),
            fmt(r["best_valid"]),
            fmt(r["best_test"]),
            str(r["experiments"]),
            str(r["failed"]),
            str(r["tokens"]),
            str(r["wall_s"]),
        )
    Console().print(table)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
