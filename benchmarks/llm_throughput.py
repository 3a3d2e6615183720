"""Throughput and memory of the embedded model server.

Measures, for one embedded model: prompt processing tokens/s and generation tokens/s (from the
server's own timings), the resident memory the server adds to this process (xllamacpp runs in-process),
and aggregate generation throughput with 1 vs N concurrent requests (parallel slots).

    python benchmarks/llm_throughput.py [--model local|local-small] [--concurrency 2] [--tokens 96]

Prints a table and writes benchmarks/results/llm_throughput[-MODEL].json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from triloop.config import load_settings
from triloop.llm.local import LocalServer

PROMPT = "Write a Python function that returns the n-th Fibonacci number, with a docstring and three asserts."


def rss_mib(pid: int) -> float:
    """Resident memory of the server process (it runs in a child, see triloop.llm.serve_worker)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def one(client: httpx.AsyncClient, url: str, tokens: int, salt: int) -> dict:
    body = {
        "messages": [{"role": "user", "content": f"{PROMPT} (variant {salt})"}],
        "max_tokens": tokens,
        "temperature": 0.0,
        "ignore_eos": True,
    }
    r = await client.post(f"{url}/chat/completions", json=body, timeout=600)
    r.raise_for_status()
    return r.json()


async def batch(url: str, n: int, tokens: int) -> tuple[float, list[dict]]:
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        results = await asyncio.gather(*(one(client, url, tokens, i) for i in range(n)))
        return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local", choices=["local", "local-small"])
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=96)
    args = parser.parse_args()

    settings = load_settings()
    local = settings.local.model_copy(update={"n_parallel": max(args.concurrency, 1), "port": 0})
    started = time.perf_counter()
    with LocalServer(args.model, local) as server:
        load_s = time.perf_counter() - started
        url = server.base_url
        asyncio.run(batch(url, 1, 8))  # warm-up
        rows = []
        for n in (1, args.concurrency):
            wall, results = asyncio.run(batch(url, n, args.tokens))
            gen = sum(r["usage"]["completion_tokens"] for r in results)
            timings = [r.get("timings", {}) for r in results]
            rows.append(
                {
                    "concurrent": n,
                    "wall_s": round(wall, 2),
                    "generated_tokens": gen,
                    "aggregate_gen_tok_s": round(gen / wall, 1),
                    "per_request_gen_tok_s": round(
                        sum(t.get("predicted_per_second", 0) for t in timings) / n, 1
                    ),
                    "prompt_tok_s": round(sum(t.get("prompt_per_second", 0) for t in timings) / n, 1),
                }
            )
            server_rss = rss_mib(server.pid)

    report = {
        "model": args.model,
        "load_s": round(load_s, 2),
        "server_rss_mib": round(server_rss),
        "runs": rows,
    }
    table = Table(
        title=f"embedded model throughput ({args.model}, load {load_s:.1f}s, server RSS {server_rss:.0f} MiB)"
    )
    for col in rows[0]:
        table.add_column(col)
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    Console().print(table)
    out = Path(__file__).parent / "results" / f"llm_throughput-{args.model}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
