"""Framework overhead of the solve graph.

1. With an instant FAKE LLM and no tools: wall time of one full run that drafts, scores, triages,
   reviews, refines and re-verifies once (target < 10 ms per round), without and with the sqlite
   checkpointer (synchronous durability, as the CLI runs it).
2. With the real embedded model (``--real``, needs triloop.llm.client and the model packages): the
   share of wall time spent outside LLM and tool calls (target <= 2%). LLM/tool time is the union of
   the call intervals, so parallel calls are not double counted.

Prints a table and writes benchmarks/results/graph_overhead.json.
Run: .venv/bin/python benchmarks/graph_overhead.py [--real] [--iterations N]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from triloop.graphs.builder import build_solve_graph
from triloop.graphs.runner import SolveRunner
from triloop.graphs.state import Budgets, SolveConfig
from triloop.graphs.store import LocalRunStore
from triloop.llm.base import Completion

RESULTS = Path(__file__).parent / "results" / "graph_overhead.json"


class InstantFakeLLM:
    """FAKE LLM answering instantly with a scripted hard problem (drafts wrong, refinement right)."""

    def __init__(self) -> None:
        self.drafts = 0

    def complete(self, messages: list[dict[str, str]], *, role: str = "default", **_: Any) -> Completion:
        text = "\n".join(m["content"] for m in messages)
        if "You triage problems" in text:
            reply = '{"kind": "math", "plan": "multiply"}'
        elif "Judge each numbered step" in text:
            reply = '{"scores": [0.95]}' if "Final answer: 12" in text else '{"scores": [0.3]}'
        elif "targeted feedback" in text:
            reply = '{"wrong_step": 1, "why": "recompute failed", "change": "multiply again"}'
        elif role == "refiner":
            reply = "1. 3 * 4 = 12\nFinal answer: 12"
        else:
            self.drafts += 1
            reply = f"1. 3*4 = {13 + self.drafts % 3}\nFinal answer: {13 + self.drafts % 3}"
        return Completion(text=reply, role=role, model="fake", prompt_tokens=50, completion_tokens=10)  # type: ignore[arg-type]


def fake_round_ms(iterations: int, checkpoint_dir: Path | None, rounds: int = 1) -> list[float]:
    """Framework time of whole runs; like ``timeit``, garbage from earlier runs is collected first."""
    config = SolveConfig(k=3, review_top=2, budgets=Budgets(max_rounds=rounds))
    times = []
    for i in range(iterations):
        gc.collect()
        llm = InstantFakeLLM()
        if checkpoint_dir is None:
            graph = build_solve_graph(llm, config=config)
            start = time.perf_counter()
            out = graph.invoke({"run_id": f"b{i}", "task": "What is 3*4?", "config": config.model_dump()})
            times.append((time.perf_counter() - start) * 1000)
        else:
            with LocalRunStore(checkpoint_dir) as runs:
                runner = SolveRunner(build_solve_graph(llm, config=config, checkpointer=runs.saver), runs)
                start = time.perf_counter()
                out = runner.start("What is 3*4?", config, run_id=f"b{i}").result.model_dump()
                times.append((time.perf_counter() - start) * 1000)
            out = {"result": out}
        assert out["result"]["rounds"] == rounds, out["result"]
    return times


class TimedLLM:
    """Wraps a real LLM and records the interval of every call."""

    def __init__(self, inner: Any, intervals: list[tuple[float, float]]) -> None:
        self.inner = inner
        self.intervals = intervals
        self.lock = threading.Lock()

    def complete(self, messages: Any, **kwargs: Any) -> Completion:
        start = time.perf_counter()
        try:
            return self.inner.complete(messages, **kwargs)
        finally:
            with self.lock:
                self.intervals.append((start, time.perf_counter()))


class TimedTool:
    def __init__(self, inner: Any, intervals: list[tuple[float, float]]) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.intervals = intervals

    def __call__(self, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.inner(**kwargs)
        finally:
            self.intervals.append((start, time.perf_counter()))


def union_s(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def real_run(model: str) -> dict[str, Any]:
    from triloop.config import load_settings
    from triloop.graphs.factory import make_llm, make_tools

    settings = load_settings(llm={"model": model, "max_tokens": 256})
    intervals: list[tuple[float, float]] = []
    llm = TimedLLM(make_llm(settings), intervals)
    raw_tools, _sandbox = make_tools(settings)
    tools = [TimedTool(t, intervals) for t in raw_tools]
    config = SolveConfig(k=2, review_top=1, max_tool_calls=2, budgets=Budgets(max_rounds=1, max_llm_calls=20))
    graph = build_solve_graph(llm, tools=tools, config=config)
    start = time.perf_counter()
    out = graph.invoke({"run_id": "real", "task": "What is 123456 * 654321?", "config": config.model_dump()})
    wall = time.perf_counter() - start
    busy = union_s(intervals)
    return {
        "model": model,
        "wall_s": round(wall, 3),
        "llm_and_tool_s": round(busy, 3),
        "outside_share": round((wall - busy) / wall, 5),
        "llm_calls": out["usage"]["llm_calls"],
        "answer": out["result"]["answer"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--real", action="store_true", help="also measure a real embedded-model run")
    parser.add_argument("--model", default="local-small")
    args = parser.parse_args()

    fake_round_ms(3, None)  # warm-up (imports, pydantic schemas)
    plain = fake_round_ms(args.iterations, None)
    no_round = fake_round_ms(args.iterations, None, rounds=0)
    marginal = statistics.median(plain) - statistics.median(no_round)
    with tempfile.TemporaryDirectory() as tmp:
        saved = fake_round_ms(max(5, args.iterations // 5), Path(tmp))
    rows = [
        ("round, no checkpointer (median ms)", statistics.median(plain), "< 10"),
        ("round, no checkpointer (p90 ms)", statistics.quantiles(plain, n=10)[-1], ""),
        ("marginal review+refine+re-verify round (ms)", marginal, "< 10"),
        ("round, sqlite checkpointer + trace (median ms)", statistics.median(saved), ""),
    ]
    result: dict[str, Any] = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "fake_round_ms": {"median": statistics.median(plain), "p90": statistics.quantiles(plain, n=10)[-1]},
        "fake_round_sqlite_ms": {"median": statistics.median(saved)},
        "fake_marginal_round_ms": marginal,
        "fake_run_without_refinement_ms": {"median": statistics.median(no_round)},
        "round_definition": "intake, 3 drafts + step scoring, score, triage, 2 reviews, 2 refinements + re-verify, score, triage, finalize, reflect",
    }
    if args.real:
        real = real_run(args.model)
        result["real_run"] = real
        rows.append(
            (f"real run ({args.model}) share outside LLM/tools", real["outside_share"] * 100, "<= 2 %")
        )
    print(f"{'measure':50} {'value':>10}  target")
    for name, value, target in rows:
        print(f"{name:50} {value:10.3f}  {target}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
