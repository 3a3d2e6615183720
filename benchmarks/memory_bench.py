"""Benchmark of the vector memory: embedding throughput, add/query latency at scale, filtered queries, reopen.

Run:  .venv/bin/python benchmarks/memory_bench.py [--sizes 1000,10000,100000] [--queries 200]
Prints a table and writes benchmarks/results/memory_bench.json.

The real MiniLM model is timed on its own (sentences/s). The scale runs do NOT embed their records with
the real model (100k sentences would take ~15 min on 2 cores): records get deterministic random unit
vectors from a stand-in embedding, which costs the same for Chroma's index as real vectors. Every
latency below goes through ``MemoryStore`` (lock, generation check, record parsing, MMR) unless the row
says "raw chroma".
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from triloop.memory.embedding import DIM, MiniLMEmbeddingFunction
from triloop.memory.records import TASK_KINDS, ExperienceRecord, ToolsetRecord
from triloop.memory.settings import MemorySettings
from triloop.memory.store import MemoryStore

RESULTS = Path(__file__).parent / "results" / "memory_bench.json"
OUTCOMES = ("solved", "failed", "partial")


class RandomUnitEmbedding(MiniLMEmbeddingFunction):
    """Stand-in for the scale runs only: a deterministic random unit vector per text (seeded by its hash)."""

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows) if rows else np.zeros((0, DIM), np.float32)


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1000.0, q))


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench_embedding(n: int, threads: int) -> dict:
    ef = MiniLMEmbeddingFunction(threads=threads)
    t = time.perf_counter()
    ef.encode(["load"])
    load_s = time.perf_counter() - t
    words = [
        "the",
        "memory",
        "stores",
        "tool",
        "docs",
        "experiences",
        "and",
        "reusable",
        "functions",
        "for",
        "agents",
        "that",
        "solve",
        "tasks",
    ]
    rng = np.random.default_rng(0)
    sentences = [" ".join(rng.choice(words, size=int(rng.integers(6, 24)))) for _ in range(n)]
    t = time.perf_counter()
    ef.encode(sentences)
    dt = time.perf_counter() - t
    single = timed(lambda: ef.encode(["how do I sort a list of numbers in python"]), 30)
    return {
        "threads": threads,
        "sentences": n,
        "sentences_per_s": n / dt,
        "load_s": load_s,
        "single_query_p50_ms": pct(single, 50),
    }


def experience(i: int) -> ExperienceRecord:
    return ExperienceRecord(
        id=f"e{i}",
        task=f"synthetic task {i}",
        task_kind=TASK_KINDS[i % len(TASK_KINDS)],
        outcome=OUTCOMES[(i // 4) % 3],
        lesson=f"lesson {i}",
    )


def bench_scale(size: int, queries: int, root: Path) -> dict:
    settings = MemorySettings(dir=root / f"m{size}", max_records=10**7)
    ef = RandomUnitEmbedding()
    row: dict = {"records": size}
    with MemoryStore(settings, ef) as store:
        t = time.perf_counter()
        batch = 2000
        for start in range(0, size, batch):
            store.put([experience(i) for i in range(start, min(size, start + batch))])
            store.put(
                [
                    ToolsetRecord(id=f"t{i}", name=f"f{i}", code="pass", doc=f"function {i}")
                    for i in range(start, min(size, start + batch))
                ]
            )
        row["bulk_load_s"] = time.perf_counter() - t
        rng = np.random.default_rng(size)
        qs = [ef.encode([f"query {rng.integers(1 << 30)}"])[0] for _ in range(queries)]
        it = itertools.cycle(qs)

        q = timed(lambda: store.search_vector("toolset", next(it), 5, mmr=False), queries)
        row["query_p50_ms"], row["query_p95_ms"] = pct(q, 50), pct(q, 95)
        q = timed(lambda: store.search_vector("toolset", next(it), 5, mmr=True), queries)
        row["query_mmr_p50_ms"], row["query_mmr_p95_ms"] = pct(q, 50), pct(q, 95)
        q = timed(
            lambda: store.search_vector("experiences", next(it), 5, task_kind="coding", mmr=False), queries
        )
        row["filter_kind_p50_ms"], row["filter_kind_p95_ms"] = pct(q, 50), pct(q, 95)
        where = {"outcome": "solved"}
        q = timed(
            lambda: store.search_vector(
                "experiences", next(it), 5, task_kind="coding", where=where, mmr=False
            ),
            max(20, queries // 4),
        )
        row["filter_kind_outcome_p50_ms"], row["filter_kind_outcome_p95_ms"] = pct(q, 50), pct(q, 95)

        raw = store.backend.collection("triloop.toolset")
        q = timed(lambda: raw.query(query_embeddings=[next(it)], n_results=5, include=["distances"]), queries)
        row["raw_chroma_query_p50_ms"] = pct(q, 50)

        counter = iter(range(10**9))
        adds = timed(
            lambda: store.add(
                ExperienceRecord(task=f"new task {next(counter)}", task_kind="qa", outcome="solved")
            ),
            max(20, queries // 2),
        )
        row["add_p50_ms"], row["add_p95_ms"] = pct(adds, 50), pct(adds, 95)
    t = time.perf_counter()
    with MemoryStore(settings, ef) as store:
        store.search_vector("toolset", qs[0], 5)
    row["reopen_first_query_s"] = time.perf_counter() - t
    return row


def bench_metadata_filter(size: int, queries: int, root: Path) -> dict:
    """The naive design for comparison: one collection, task kind as a Chroma metadata filter (raw chroma)."""
    import chromadb

    client = chromadb.PersistentClient(path=str(root / f"naive{size}"))
    col = client.create_collection(
        "naive-experiences", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    rng = np.random.default_rng(1)
    for start in range(0, size, 5000):
        n = min(size, start + 5000) - start
        v = rng.standard_normal((n, DIM)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        col.add(
            ids=[f"n{i}" for i in range(start, start + n)],
            embeddings=v,
            metadatas=[{"task_kind": TASK_KINDS[i % 4]} for i in range(start, start + n)],
        )
    qv = rng.standard_normal((queries, DIM)).astype(np.float32)
    it = iter(qv)
    q = timed(
        lambda: col.query(
            query_embeddings=[next(it)], n_results=5, where={"task_kind": "coding"}, include=["distances"]
        ),
        min(queries, 50),
    )
    client.clear_system_cache()
    return {"records": size, "naive_where_p50_ms": pct(q, 50), "naive_where_p95_ms": pct(q, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--embed-sentences", type=int, default=512)
    parser.add_argument(
        "--naive",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the one-collection metadata-filter design at the largest size",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    root = Path(tempfile.mkdtemp(prefix="triloop-memory-bench-"))
    try:
        load_before = os.getloadavg()[0]
        embs = [bench_embedding(args.embed_sentences, threads) for threads in (0, 1)]
        for emb in embs:
            print(
                f"embedding (real MiniLM, numpy, worker threads={emb['threads'] or 'all'}): "
                f"{emb['sentences_per_s']:.0f} sentences/s (batch of {emb['sentences']}), "
                f"single query {emb['single_query_p50_ms']:.1f} ms, model load {emb['load_s']:.2f} s"
            )
        rows = []
        for size in sizes:
            rows.append(bench_scale(size, args.queries, root))
            print(f"  done {size}", flush=True)
        naive = bench_metadata_filter(max(sizes), args.queries, root) if args.naive else None
    finally:
        shutil.rmtree(root, ignore_errors=True)

    cols = [
        ("records", "{:>7}"),
        ("query_p50_ms", "{:>8.2f}"),
        ("query_p95_ms", "{:>8.2f}"),
        ("query_mmr_p50_ms", "{:>8.2f}"),
        ("filter_kind_p50_ms", "{:>8.2f}"),
        ("filter_kind_p95_ms", "{:>8.2f}"),
        ("filter_kind_outcome_p50_ms", "{:>8.2f}"),
        ("add_p50_ms", "{:>8.2f}"),
        ("add_p95_ms", "{:>8.2f}"),
        ("reopen_first_query_s", "{:>8.2f}"),
        ("bulk_load_s", "{:>8.1f}"),
    ]
    heads = [
        "records",
        "q p50",
        "q p95",
        "mmr p50",
        "kind p50",
        "kind p95",
        "k+out p50",
        "add p50",
        "add p95",
        "reopen s",
        "load s",
    ]
    print(
        "\nscale (random unit vectors, not the real model; ms unless noted; N records in each of "
        "toolset and experiences):"
    )
    print(" ".join(f"{h:>8}" for h in heads))
    for row in rows:
        print(" ".join(fmt.format(row[key]) for key, fmt in cols))
    if naive:
        print(
            f"\nnaive design (one collection, Chroma metadata filter on task_kind) at {naive['records']}: "
            f"p50 {naive['naive_where_p50_ms']:.1f} ms, p95 {naive['naive_where_p95_ms']:.1f} ms"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                },
                "note": "scale rows use deterministic random unit vectors (RandomUnitEmbedding), not the real model",
                "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
                "embedding": embs,
                "scale": rows,
                "naive_metadata_filter": naive,
            },
            indent=2,
        )
    )
    print(
        f"\nload average (1 min) before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
