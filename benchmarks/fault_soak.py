"""Fault soak: a Ray batch through an endpoint that fails 5-20 % of its requests.

The endpoint is tests/sim_endpoint.py (a FAKE: fixed replies) injecting, per request, 429 with
Retry-After, 500, a hang past the client's timeout, a dropped connection and a truncated body. The
batch runs through the real command line (`triloop batch --ray local`). Checked: every row ends exactly
once, with a result or a clear error, within its wall budget; counted: faults injected by kind, requests,
retries (requests that did not give the run an answer), rows by outcome.

Prints a summary and writes benchmarks/results/fault_soak.json (``--out`` to write elsewhere).
Run: .venv/bin/python benchmarks/fault_soak.py [--rows 24] [--rate 0.15]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sim_endpoint import FaultRates, SimEndpoint  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "fault_soak.json"
BUDGET_S = 180.0  # each row's wall budget


def soak(n_rows: int, rate: float, workdir: Path) -> dict:
    share = rate / 5  # the same chance for each of the five faults
    faults = FaultRates(r429=share, r500=share, hang=share, drop=share, truncate=share, hang_s=4.0)
    rows = [{"id": f"s{i}", "task": f"What is six times seven? (soak {i})"} for i in range(n_rows)]
    file = workdir / "rows.jsonl"
    file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = workdir / "out.jsonl"
    with SimEndpoint(slots=4, latency_per_token_s=0.01, faults=faults, seed=7) as sim:
        env = {
            **os.environ,
            "COLUMNS": "300",
            "TRILOOP_LLM__BASE_URL": sim.url,
            "TRILOOP_LLM__MODEL": "sim",
            "TRILOOP_LLM__TIMEOUT_S": "2",  # a hang (4 s) is a timeout
            "TRILOOP_DATA_DIR": str(workdir / "data"),
        }
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "triloop.cli", "batch", str(file), "--no-memory", "--out", str(out),
             "--budget-seconds", str(BUDGET_S), "--ray", "local"],
            env=env, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        wall = time.perf_counter() - started
        counts = dict(sim.counts)
    results = [json.loads(line) for line in out.read_text().splitlines()] if out.is_file() else []
    ids = Counter(r["id"] for r in results)
    answered = sum(r["usage"].get("llm_calls", 0) for r in results)
    unclear = [r for r in results if r["status"] == "error" and not (r.get("error") or "").strip()]
    return {
        "rows": n_rows,
        "fault_rate": rate,
        "exit_code": proc.returncode,
        "wall_s": round(wall, 1),
        "requests": counts.get("requests", 0),
        "faults": {k: counts.get(k, 0) for k in ("429", "500", "hang", "drop", "truncate")},
        "retries": counts.get("requests", 0) - answered,
        "rows_written": len(results),
        "rows_lost": n_rows - len(ids),
        "rows_duplicated": sum(n - 1 for n in ids.values()),
        "rows_by_outcome": dict(Counter(r["outcome"] if r["status"] == "done" else "error" for r in results)),
        "errors": sorted({r["error"][:160] for r in results if r["status"] == "error"}),
        "errors_without_message": len(unclear),
        "max_row_wall_s": max((r["wall_s"] for r in results), default=0.0),
        "budget_s": BUDGET_S,
        "right": sum(r.get("answer") == "42" for r in results),
        "stderr_tail": proc.stderr[-600:] if proc.returncode not in (0, 1) else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=24)
    parser.add_argument("--rate", type=float, default=0.15, help="share of requests that fail (0.05-0.20)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        summary = soak(args.rows, args.rate, Path(tmp))
    for key, value in summary.items():
        print(f"{key:>24}: {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
