"""How reliably the embedded model's team turns small function-writing tasks into verified code.

Runs the full triloop strategy (real embedded model, real sandbox, tests given) on a few small
function-writing tasks, several times each, and reports per task: verified runs, drafts that carried a
code block, follow-up turns asked for missing code, LLM calls and wall time.

Prints a table and writes benchmarks/results/coding_reliability.json.
Run: .venv/bin/python benchmarks/coding_reliability.py [--runs N] [--model local|local-small]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from triloop.graphs.builder import build_solve_graph
from triloop.graphs.state import Budgets, SolveConfig

RESULTS = Path(__file__).parent / "results" / "coding_reliability.json"

TASKS = {
    "is_palindrome": (
        "Write a Python function is_palindrome(s: str) -> bool that returns True when s reads the same "
        "forwards and backwards, ignoring case and non-alphanumeric characters.",
        "from solution import is_palindrome\n"
        'assert is_palindrome("A man, a plan, a canal: Panama")\n'
        'assert is_palindrome("racecar")\n'
        'assert not is_palindrome("hello")\n'
        'assert is_palindrome("")\n',
    ),
    "second_largest": (
        "Write a Python function second_largest(nums: list[int]) -> int | None that returns the second "
        "largest distinct value in nums, or None when there is none.",
        "from solution import second_largest\n"
        "assert second_largest([3, 1, 4, 1, 5]) == 4\n"
        "assert second_largest([2, 2]) is None\n"
        "assert second_largest([]) is None\n"
        "assert second_largest([-1, -5]) == -5\n",
    ),
    "run_length": (
        "Write a Python function run_length(s: str) -> list[tuple[str, int]] that returns the run-length "
        'encoding of s, e.g. "aaab" -> [("a", 3), ("b", 1)].',
        "from solution import run_length\n"
        'assert run_length("aaab") == [("a", 3), ("b", 1)]\n'
        'assert run_length("") == []\n'
        'assert run_length("abc") == [("a", 1), ("b", 1), ("c", 1)]\n',
    ),
}


def commit() -> str:
    """The code measured: HEAD, marked dirty when the tree has changes."""
    root = Path(__file__).resolve().parents[1]
    git = ["git", "-C", str(root)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "triloop"], capture_output=True, text=True).stdout
    return head + ("-dirty" if dirty.strip() else "") if head else "unknown"


def one_run(graph: Any, config: SolveConfig, task: str, tests: str, run_id: str) -> dict[str, Any]:
    follow_ups = 0
    start = time.perf_counter()
    out: dict[str, Any] = {}
    for mode, event in graph.stream(
        {"run_id": run_id, "task": task, "tests": tests, "config": config.model_dump()},
        stream_mode=["custom", "values"],
    ):
        if (
            mode == "custom"
            and event.get("type") == "llm_call"
            and event.get("purpose", "").endswith((":code", ":fix"))
        ):
            follow_ups += 1
        elif mode == "values":
            out = event
    wall = time.perf_counter() - start
    drafts = [c for c in out["candidates"].values() if c["round"] == 0]
    result = out["result"]
    return {
        "verified": bool(result["verified"]),
        "drafts": len(drafts),
        "drafts_with_code": sum(1 for c in drafts if c["code"]),
        "code_follow_ups": follow_ups,
        "stopped_by": result["stopped_by"],
        "rounds": result["rounds"],
        "llm_calls": result["usage"].get("llm_calls", 0),
        "wall_s": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per task")
    parser.add_argument("--model", default="local")
    parser.add_argument("--out", type=Path, default=RESULTS)
    # the defaults are those of tests/graphs/test_graph_e2e.py::test_function_writing_task_verified_by_execution
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="refinement rounds budget")
    parser.add_argument("--max-calls", type=int, default=24, help="LLM-call budget per run")
    args = parser.parse_args()

    from triloop.config import load_settings
    from triloop.graphs.factory import make_llm, make_tools

    settings = load_settings(llm={"model": args.model})
    llm = make_llm(settings)
    tools, sandbox = make_tools(settings)
    budgets = Budgets(max_rounds=args.rounds, max_llm_calls=args.max_calls)
    config = SolveConfig(k=args.k, review_top=1, max_tool_calls=0, max_tokens_per_call=400, budgets=budgets)
    graph = build_solve_graph(llm, tools=tools, config=config)
    runs: dict[str, list[dict[str, Any]]] = {}
    try:
        for name, (task, tests) in TASKS.items():
            runs[name] = [one_run(graph, config, task, tests, f"{name}-{i}") for i in range(args.runs)]
            print(name, runs[name], flush=True)
    finally:
        sandbox.close()
        getattr(llm, "close", lambda: None)()

    print(
        f"\n{'task':16} {'verified':>9} {'drafts w/ code':>15} {'follow-ups':>11} {'calls':>6} {'wall s':>7}"
    )
    summary = {}
    for name, rows in runs.items():
        drafts = sum(r["drafts"] for r in rows)
        summary[name] = {
            "verified_runs": sum(r["verified"] for r in rows),
            "runs": len(rows),
            "drafts_with_code": sum(r["drafts_with_code"] for r in rows),
            "drafts": drafts,
            "code_follow_ups": sum(r["code_follow_ups"] for r in rows),
            "median_llm_calls": statistics.median(r["llm_calls"] for r in rows),
            "median_wall_s": statistics.median(r["wall_s"] for r in rows),
        }
        s = summary[name]
        print(
            f"{name:16} {s['verified_runs']:>4}/{s['runs']:<4} {s['drafts_with_code']:>9}/{drafts:<5}"
            f" {s['code_follow_ups']:>11} {s['median_llm_calls']:>6} {s['median_wall_s']:>7}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
                "commit": commit(),
                "model": args.model,
                "config": config.model_dump(mode="json"),
                "summary": summary,
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
