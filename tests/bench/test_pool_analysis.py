"""benchmarks/pool_analysis.py on hand-written records (the numbers are the records', nothing is run)."""

from __future__ import annotations

import json
import subprocess
import sys

from bench_scripts import BENCHMARKS, load_script

from triloop.bench.harness import RESULTS_FILE, BenchRecord
from triloop.bench.strategies import PoolMember

SCRIPT = BENCHMARKS / "pool_analysis.py"


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


def test_failures_split_into_selection_and_generation(tmp_path):
    (tmp_path / RESULTS_FILE).write_text("".join(r.model_dump_json() + "\n" for r in RECORDS))
    result = load_script("pool_analysis").analyse(tmp_path, "triloop")
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


def draft(cid: str, t: float, behaviour: str, hidden: bool, doctest: str, generated: str, raises: int = 0):
    errors = {"generated": raises} if raises else {}
    checks = {"doctest": doctest, "generated": generated}
    return PoolMember(id=cid, temperature=t, behaviour=behaviour, checks=checks, errors=errors,
                      code=f"# {cid}", hidden=hidden)  # fmt: skip


def test_selection_rules_are_replayed_on_the_first_drafts_of_each_problem():
    # HumanEval/100's shape: the greedy draft is right and alone, two sampled drafts agree on a wrong
    # behaviour that passes fewer generated tests
    outvoted = [draft("c0", 0.0, "a", True, "1/1", "6/6"), draft("c1", 0.8, "b", False, "1/1", "2/6"),
                draft("c2", 0.8, "b", False, "1/1", "2/6")]  # fmt: skip
    # two drafts agree, one of them raises on a generated input; the third is right
    raising = [draft("c0", 0.0, "a", False, "0/1", "3/6", raises=1), draft("c1", 0.8, "a", False, "0/1", "3/6", raises=1),
               draft("c2", 0.8, "b", True, "1/1", "5/6")]  # fmt: skip
    refined = draft("c0.r1", 0.0, "c", True, "1/1", "6/6").model_copy(update={"round": 1})
    records = [
        BenchRecord(task_id="t0", strategy="triloop", passed=False, detail="x", pool=outvoted),
        BenchRecord(task_id="t1", strategy="triloop", passed=True, detail="x", pool=[*raising, refined]),
    ]
    rules = load_script("pool_analysis").replay(records)
    assert rules["greedy draft (= plain)"] == {"passed": 1, "problems": 2, "failed": ["t1"]}
    assert rules["largest cluster, then score"]["failed"] == ["t0", "t1"]  # the refinement is not replayed
    assert rules["CodeT: cluster size x generated passed"]["failed"] == ["t1"]  # 1x6 > 2x2; 2x3 > 1x5
    assert rules["most checks passed, then cluster size"]["passed"] == 2
    assert rules["no error on generated inputs, then largest cluster"]["failed"] == ["t0"]


def reported(cid: str, hidden: bool, score: float, *got: str) -> PoolMember:
    outcomes = [{"call": f"f({i})", "expected": None, "source": "generated", "passed": None, "got": g}
                for i, g in enumerate(got)]  # fmt: skip
    return PoolMember(id=cid, temperature=0.8 if cid != "c0" else 0.0, score=score, code=f"# {cid}",
                      hidden=hidden, report={"loaded": True, "outcomes": outcomes})  # fmt: skip


def test_clusterings_are_replayed_from_the_stored_reports():
    # HumanEval/21 in run v9: two right drafts raise different exceptions on an out-of-spec input
    pool = [reported("c0", True, 0.9, "0.5", "raised ZeroDivisionError: division by zero"),
            reported("c1", False, 1.0, "0.49", "0.0"),
            reported("c2", True, 0.9, "0.5", "raised ValueError: empty range")]  # fmt: skip
    records = [BenchRecord(task_id="t0", strategy="triloop", passed=False, detail="x", pool=pool)]
    by_clustering = load_script("pool_analysis").replay_clusterings(records)
    largest = "largest cluster, then score"
    # three clusters of one
    assert by_clustering["exception types split (to v10)"][largest]["failed"] == ["t0"]
    assert by_clustering["any raise is one behaviour (v11)"][largest]["passed"] == 1
    now = "any raise is one, raising on every check agrees with none (triloop now)"
    assert by_clustering[now][largest]["passed"] == 1
    # HumanEval/19 in run v11: two drafts broken on every input outnumber the right one under v11's rule
    broken = [reported("c0", True, 0.9, "'one'", "'two'"), reported("c1", False, 0.2, "raised KeyError: 1", "raised KeyError: 2"),
              reported("c2", False, 0.2, "raised ValueError: x", "raised ValueError: y")]  # fmt: skip
    records = [BenchRecord(task_id="t1", strategy="triloop", passed=True, detail="x", pool=broken)]
    by_clustering = load_script("pool_analysis").replay_clusterings(records)
    assert by_clustering["any raise is one behaviour (v11)"][largest]["failed"] == ["t1"]
    assert by_clustering[now][largest]["passed"] == 1
    # older runs kept no reports: nothing to replay
    assert load_script("pool_analysis").replay_clusterings([r for r in RECORDS if r.pool]) == {}


def test_drafts_that_pass_only_at_the_loose_float_tolerance_are_listed_by_verdict():
    def scored(cid: str, hidden: bool, got: str, expected: str) -> PoolMember:
        outcome = {"call": "f(1)", "expected": expected, "source": "generated", "passed": True, "got": got}
        return PoolMember(
            id=cid, code=f"# {cid}", hidden=hidden, report={"loaded": True, "outcomes": [outcome]}
        )

    # v9's HumanEval/21: x / (span + 1e-6) passes [0.25, 1.0] within rel_tol 1e-6, not within 1e-9
    padded = scored("c1", False, "[0.24999993750001562, 0.9999997500000624]", "[0.25, 1.0]")
    exact = scored("c0", True, "[0.25, 1.0]", "[0.25, 1.0]")
    rounded = scored("c2", True, "0.3333333333333333", "0.3333333333333333")
    odd = scored("c3", True, "<object at 0x1>", "1")  # not a literal: left out
    record = BenchRecord(
        task_id="t", strategy="triloop", passed=False, detail="x", pool=[padded, exact, rounded, odd]
    )
    script = load_script("pool_analysis")
    assert script.loose_passes(padded) == ["f(1)"] and script.loose_passes(exact) == []
    assert script.tolerance([record]) == {"hidden pass": [], "hidden fail": ["t c1"]}
