"""`triloop ml` on real tables beside the fixed-script baseline: memory off, then memory from other tasks.

For each task: a fresh task directory and a run that reads no lessons (pass "memory-off"; its lesson is
stored); then the same task again in a fresh directory (pass "memory-on") with the lessons the first
pass stored for the *other* tasks (its own is filtered out), at the same budget. Per run: the
baseline's and the best's cross-validated score and test score (the baseline's test score is computed
here, for the benchmark only; the report scores the best alone), experiments (failed), tokens, wall
time, the lessons given and what the ideas taken from them did.

Prints a table and writes benchmarks/results/ml_runs-<model>.json (resumable: finished runs are kept).
Run: .venv/bin/python benchmarks/ml_runs.py [--model local] [--minutes 10] [--tasks credit,attrition,...]
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
TASKS = "credit,attrition,churn,health_insurance,wage,houses"  # houses gives wage a regression to learn from


class OtherTasks:
    """The memory, less the lessons of one task (so a second pass cannot read its own first pass)."""

    def __init__(self, memory, task: str) -> None:
        self.memory, self.task = memory, task

    def experiences(self, query: str, kind: str, k: int = 8):
        found = self.memory.experiences(query, kind, k + 4)  # room for the ones filtered out
        return [r for r in found if r.profile.get("name") != self.task][:k]


def one_run(llm, sandbox, memory, root: Path, name: str, minutes: float, max_experiments: int, read) -> dict:
    from triloop.ml.datasets import init_dataset
    from triloop.ml.harness import PREDICTIONS, score_predictions
    from triloop.ml.loop import MLRun
    from triloop.ml.report import write_report

    task = init_dataset(root, name, budget_minutes=minutes, force=True)
    started = time.monotonic()
    run = MLRun(llm, sandbox, root, task, memory=read)
    run.run(budget_minutes=minutes, max_experiments=max_experiments)
    summary = write_report(root, task, run.experiments, run.recalled)
    run.memory = memory
    run.remember()
    base = next((e for e in run.experiments if e.action == "baseline" and e.metric is not None), None)
    baseline_test = (
        score_predictions(root, task, (root / base.code_path).parent / PREDICTIONS, "test") if base else None
    )
    statuses = [e.status for e in run.experiments]
    return {
        "task": name,
        "metric": task.metric,
        "direction": task.direction,
        "baseline_cv": summary.get("baseline_cv"),
        "baseline_test": baseline_test,
        "best_cv": summary.get("cv"),
        "best_test": summary.get("test"),
        "best_idea": best_idea(run.experiments, summary.get("best")),
        "best_from": best_start(run.experiments, summary.get("best")),  # a portfolio draft or the agents
        "experiments": len(run.experiments),
        "failed": sum(s not in ("ok", "leak", "nondeterministic") for s in statuses),
        "nondeterministic": statuses.count("nondeterministic"),
        "tokens": sum(e.tokens for e in run.experiments),
        "wall_s": round(time.monotonic() - started, 1),
        "lessons_given": [r.render() for r in run.recalled],
        "ideas_from_lessons": [
            {"id": e.id, "lesson": e.lesson, "idea": e.idea, "status": e.status, "metric": e.metric}
            for e in run.experiments
            if e.lesson
        ],
        "lesson_stored": run.lesson(),
    }


def _start(experiments, best_id):
    """The experiment the best's chain of fixes started from (itself when it needed no fix)."""
    from triloop.ml.experiments import chain_of

    best = next((e for e in experiments if e.id == best_id), None)
    return chain_of(best, experiments)[-1] if best is not None else None


def best_idea(experiments, best_id) -> str | None:
    """The idea the best carries out (a fix's idea is the one its chain of fixes started from)."""
    start = _start(experiments, best_id)
    return start.idea if start is not None else None


def best_start(experiments, best_id) -> str | None:
    """How the best came about: the baseline, a portfolio draft, or an agent's change ("improve")."""
    start = _start(experiments, best_id)
    return start.action if start is not None else None


def beats(row: dict, key: str) -> bool | None:
    best, base = row.get(f"best_{key}"), row.get(f"baseline_{key}")
    if best is None or base is None:
        return None
    return best > base if row["direction"] == "maximize" else best < base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--max-experiments", type=int, default=40)
    parser.add_argument("--tasks", default=TASKS)
    parser.add_argument("--passes", default="memory-off,memory-on", help="which passes to run, in order")
    parser.add_argument("--work", type=Path, default=None, help="default: /tmp/triloop-ml-runs/MODEL")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    from triloop.config import load_settings
    from triloop.graphs.factory import open_llm, open_tools
    from triloop.graphs.memory_store import StoreMemory
    from triloop.memory.settings import MemorySettings
    from triloop.memory.store import MemoryStore

    out = args.out or RESULTS / f"ml_runs-{args.model}.json"
    args.work = args.work or Path("/tmp/triloop-ml-runs") / args.model  # the memories belong to one model
    done = json.loads(out.read_text())["runs"] if out.is_file() else []
    have = {(r["task"], r["pass"]) for r in done}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    settings = load_settings(llm={"model": args.model})
    with ExitStack() as stack:
        llm = open_llm(stack, settings)
        _, sandbox = open_tools(stack, settings)
        # the first pass's lessons (kept beside the results, so a resumed second pass reads the same)
        first = StoreMemory(stack.enter_context(MemoryStore(MemorySettings(dir=args.work / "memory-first"))))
        second = StoreMemory(
            stack.enter_context(MemoryStore(MemorySettings(dir=args.work / "memory-second")))
        )
        for memory_pass in args.passes.split(","):
            for name in args.tasks.split(","):
                if (name, memory_pass) in have:
                    continue
                on = memory_pass == "memory-on"
                row = one_run(
                    llm,
                    sandbox,
                    second if on else first,
                    args.work / memory_pass / name,
                    name,
                    args.minutes,
                    args.max_experiments,
                    read=OtherTasks(first, name) if on else None,
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
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps({"runs": done}, indent=2))

    table = Table(title=f"triloop ml ({args.model}, {args.minutes:g} min per run)")
    for col in (
        "task",
        "pass",
        "metric",
        "base CV",
        "base test",
        "best CV",
        "best test",
        "best from",
        "test won",
        "exps",
        "failed",
        "tokens",
        "s",
    ):
        table.add_column(col)
    fmt = lambda v: f"{v:.4f}" if isinstance(v, float) else str(v)  # noqa: E731
    for r in done:
        table.add_row(
            r["task"],
            r["pass"],
            r["metric"],
            fmt(r["baseline_cv"]),
            fmt(r["baseline_test"]),
            fmt(r["best_cv"]),
            fmt(r["best_test"]),
            str(r.get("best_from")),
            str(beats(r, "test")),
            str(r["experiments"]),
            str(r["failed"]),
            str(r["tokens"]),
            str(r["wall_s"]),
        )
    Console().print(table)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
