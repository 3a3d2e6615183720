"""Batch throughput on Ray against a simulated remote endpoint, with 1, 2, 4, 8 workers.

The endpoint is tests/sim_endpoint.py (a FAKE: fixed replies, not a model) with N slots and a fixed
latency per completion token, so decoding, not the 2 cores, is what a row waits for, as with a remote
vLLM. For each worker count W a local Ray cluster with W CPUs runs a warm-up of W rows (worker start:
imports, model client, sandbox), then ``--rows`` fresh rows, each one Ray task of one CPU. Reported:
tasks per minute, the ratio to linear (tpm_W / (W x tpm_1)), the share of the machine's CPU busy, and
the endpoint's decode seconds per row (summed over a row's calls, some of which run in parallel; each
row's drafts call at once, so W workers send up to 2W requests together). The framework's own cost per row (graph,
sandbox runs, checkpoints, Ray) is the wall time per row of one worker against an instant endpoint.
Target: >= 0.8 x linear up to the endpoint's slots.

Prints a table and writes benchmarks/results/cluster_throughput.json.
Run: .venv/bin/python benchmarks/cluster_throughput.py [--rows 32] [--slots 8] [--latency-ms 150]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.sim_endpoint import SimEndpoint  # noqa: E402
from triloop.batch.rows import BatchRow  # noqa: E402
from triloop.batch.run import BatchSetup, solve_rows  # noqa: E402
from triloop.bench.harness import git_commit  # noqa: E402
from triloop.cluster import RayOptions, on_ray  # noqa: E402
from triloop.config import load_settings  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "cluster_throughput.json"


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def rows(prefix: str, n: int) -> list[BatchRow]:
    return [
        BatchRow(id=f"{prefix}{i}", task=f"What is six times seven? ({prefix} case {i})") for i in range(n)
    ]


def measure(workers: int, n_rows: int, sim: SimEndpoint, data_dir: Path) -> dict:
    os.environ.update({"TRILOOP_LLM__BASE_URL": sim.url, "TRILOOP_LLM__MODEL": "sim"})
    settings = load_settings(data_dir=data_dir)
    setup = BatchSetup(
        settings=settings, config=settings.solve.model_copy(update={"interactive": False}), memory=False
    )
    options = RayOptions(address="local", cpus=workers)
    with on_ray(options):
        warm = list(solve_rows(rows(f"warm{workers}-", workers), setup, options))
        decode_before, calls_before = sim.decode_s, sim.counts["requests"]
        busy_before, total_before = cpu_times()
        started = time.perf_counter()
        results = list(solve_rows(rows(f"w{workers}-", n_rows), setup, options))
        wall = time.perf_counter() - started
        busy_after, total_after = cpu_times()
    assert all(r.status == "done" for r in warm + results), [r.error for r in results if r.error]
    decode = (sim.decode_s - decode_before) / n_rows
    return {
        "workers": workers,
        "rows": n_rows,
        "wall_s": round(wall, 2),
        "tasks_per_min": round(60 * n_rows / wall, 2),
        "decode_s_per_row": round(decode, 3),
        "calls_per_row": round((sim.counts["requests"] - calls_before) / n_rows, 2),
        "cpu_busy": round((busy_after - busy_before) / max(total_after - total_before, 1), 3),
        "right": sum(r.answer == "42" for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=150.0, help="per completion token")
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        with SimEndpoint(slots=args.slots) as instant:
            framework = measure(1, args.rows, instant, Path(tmp) / "instant")
            print(json.dumps({"instant endpoint": framework}), flush=True)
        with SimEndpoint(slots=args.slots, latency_per_token_s=args.latency_ms / 1000) as sim:
            for workers in counts:
                table.append(measure(workers, args.rows, sim, Path(tmp) / f"w{workers}"))
                print(json.dumps(table[-1]), flush=True)
    base = table[0]["tasks_per_min"] / table[0]["workers"]
    for row in table:
        row["ratio_to_linear"] = round(row["tasks_per_min"] / (row["workers"] * base), 3)
    framework_s = round(framework["wall_s"] / framework["rows"], 3)
    print(
        f"\n{'workers':>7} {'tasks/min':>9} {'x linear':>8} {'decode s/row':>12} {'calls/row':>9} {'CPU busy':>8}"
    )
    for row in table:
        print(
            f"{row['workers']:>7} {row['tasks_per_min']:>9} {row['ratio_to_linear']:>8} "
            f"{row['decode_s_per_row']:>12} {row['calls_per_row']:>9} {row['cpu_busy']:>8.0%}"
        )
    print(f"framework's own time per row (one worker, instant endpoint): {framework_s} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "commit": git_commit(),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "endpoint": {"slots": args.slots, "latency_per_token_ms": args.latency_ms, "fake": True},
                "framework_s_per_row": framework_s,
                "results": table,
            },
            indent=2,
        )
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
