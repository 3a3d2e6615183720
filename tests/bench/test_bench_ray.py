"""``triloop bench tasks --ray local`` on a REAL local Ray cluster, against the FAKE deterministic endpoint
(tests/sim_endpoint.py): the same records as the run here, one line per pair, and a resume runs nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sim_endpoint import SimEndpoint

pytestmark = pytest.mark.slow


def _bench(tasks: Path, out: Path, sim: SimEndpoint, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRILOOP_LLM__BASE_URL": sim.url, "TRILOOP_LLM__MODEL": "sim", "COLUMNS": "300"}
    return subprocess.run(
        [sys.executable, "-m", "triloop.cli", "bench", "tasks", str(tasks), "-s", "plain", "-s", "sc",
         "--out", str(out), *extra],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_bench_pairs_on_ray_match_the_pairs_run_here(tmp_path):
    tasks = tmp_path / "q.jsonl"
    rows = [{"id": f"q{i}", "question": f"What is six times seven? ({i})", "answer": "42" if i % 2 else "41"}
            for i in range(4)]  # fmt: skip
    tasks.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with SimEndpoint(slots=4) as sim:
        assert _bench(tasks, tmp_path / "here", sim).returncode == 0
        on_ray = _bench(tasks, tmp_path / "ray", sim, "--ray", "local")
        assert on_ray.returncode == 0, on_ray.stderr[-2000:]
        before = sim.counts["requests"]
        assert _bench(tasks, tmp_path / "ray", sim, "--ray", "local").returncode == 0
        assert sim.counts["requests"] == before

    def records(folder: Path) -> dict[tuple[str, str], tuple]:
        lines = [json.loads(x) for x in (folder / "results.jsonl").read_text().splitlines()]
        assert len(lines) == 8
        return {
            (r["task_id"], r["strategy"]): (r["passed"], r["answer"], r["calls"], r["tokens"]) for r in lines
        }

    assert records(tmp_path / "ray") == records(tmp_path / "here")
    assert sum(passed for passed, *_ in records(tmp_path / "here").values()) == 4  # the "42" questions
