"""Latency of ``print(1)`` per sandbox backend: cold, warm (pool) and session call; p50/p90 of N runs.

Cold = a fresh sandbox per run (docker: create+start container, exec, kill; bwrap: spawn bwrap +
python). Warm = a pre-started sandbox from the pool (the pool is refilled between runs, so this is
the latency a task sees when an entry is ready). Session = one call in an open persistent session.
Prints a table and writes benchmarks/results/sandbox_latency.json.

    .venv/bin/python benchmarks/sandbox_latency.py [--runs 50] [--backends docker,bwrap]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from triloop.tools.sandbox.errors import SandboxError
from triloop.tools.sandbox.factory import create_sandbox
from triloop.tools.sandbox.settings import SandboxSettings

RESULTS = Path(__file__).parent / "results" / "sandbox_latency.json"
CODE = "print(1)"


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def timed(fn, runs: int, before=None) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t) * 1000)
        if result.stdout != "1\n":
            raise SystemExit(f"unexpected output: {result!r}")
    return out


def bench_backend(name: str, runs: int) -> dict[str, list[float]]:
    settings = SandboxSettings(pool_size=0, timeout_s=30)
    timings: dict[str, list[float]] = {}
    with create_sandbox(settings, backend=name) as sb:
        sb.execute(CODE)  # warm the page cache / image layers
        timings["cold"] = timed(lambda: sb.execute(CODE), runs)
    with create_sandbox(settings.model_copy(update={"pool_size": 2}), backend=name) as sb:
        pool = sb.start_pool()
        timings["warm"] = timed(lambda: sb.execute(CODE), runs, before=lambda: pool.wait_full(60))
    with create_sandbox(settings, backend=name) as sb, sb.open_session() as session:
        session.run("x = 1")
        timings["session"] = timed(lambda: session.run(CODE), runs)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--backends", default="docker,bwrap")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        try:
            timings = bench_backend(backend, args.runs)
        except SandboxError as exc:
            print(f"{backend}: skipped ({exc})")
            continue
        for mode, ms in timings.items():
            rows.append(
                {
                    "backend": backend,
                    "mode": mode,
                    "runs": len(ms),
                    "p50_ms": round(pct(ms, 50), 2),
                    "p90_ms": round(pct(ms, 90), 2),
                    "min_ms": round(min(ms), 2),
                }
            )
    print(f"{'backend':8} {'mode':8} {'runs':>5} {'p50 ms':>9} {'p90 ms':>9} {'min ms':>9}")
    for r in rows:
        print(
            f"{r['backend']:8} {r['mode']:8} {r['runs']:>5} {r['p50_ms']:>9.2f} {r['p90_ms']:>9.2f} {r['min_ms']:>9.2f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "cpus": os.cpu_count(),
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "code": CODE,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
