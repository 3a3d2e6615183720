"""benchmarks/pool_analysis.py on hand-written records (the numbers are the records', nothing is run)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from triloop.bench.harness import RESULTS_FILE, BenchRecord
from triloop.bench.strategies import PoolMember

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "pool_analysis.py"


def member(cid: str, hidden: bool, *, chosen: bool = False, raises: int = 0) -> PoolMember:
    errors = {"generated": raises} if raises else {}
    return PoolMember(id=cid, code=f"# {cid}", hidden=hidden, chosen=chosen, errors=errors)


RECORDS = [
    # solved
    BenchRecord(task_id="t0", strategy="triloop", passed=True, detail="passed", stopped_by="easy",
                pool=[member("c0", True, chosen=True), member("c1", True)]),
    # the checks chose a wrong one over a right one
    BenchRecord(task_id="t1", strategy="triloop", passed=False, detail="x", stopped_by="verified",
                pool=[member("c0", False, chosen=True), member("c1", True)]),
    # nothing right drafted; settled easy on one that raises on a generated input
    BenchRecord(task_id="t2", strategy="triloop", passed=False, detail="x", stopped_by="easy",
                pool=[member("c0", False, chosen=True, raises=1), member("c1", False, raises=2)]),
    BenchRecord(task_id="t2", strategy="plain", passed=False, detail="x"),
]  # fmt: skip


def load_script():
    spec = importlib.util.spec_from_file_location("pool_analysis", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_failures_split_into_selection_and_generation(tmp_path):
    (tmp_path / RESULTS_FILE).write_text("".join(r.model_dump_json() + "\n" for r in RECORDS))
    result = load_script().analyse(tmp_path, "triloop")
    assert (result["problems"], result["passed"], result["pool_held_a_pass"]) == (3, 1, 2)
    assert result["selection_misses"] == ["t1 (verified)"]
    assert result["generation_misses"] == ["t2 (easy)"]
    assert result["candidates"] == {
        "no error on a generated input, hidden fail": 1,
        "no error on a generated input, hidden pass": 3,
        "raises on a generated input, hidden fail": 2,
    }
    assert result["easy_settled_on_a_candidate_that_raises"] == ["t2 (FAIL)"]


def test_the_script_writes_its_json_and_refuses_a_run_without_pools(tmp_path):
    (tmp_path / RESULTS_FILE).write_text("".join(r.model_dump_json() + "\n" for r in RECORDS))
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "pool_analysis.json").read_text())["passed"] == 1
    empty = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path), "--strategy", "plain"], capture_output=True, text=True
    )
    assert empty.returncode != 0 and "--pools" in empty.stderr and "Traceback" not in empty.stderr
