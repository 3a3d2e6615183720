"""Checkpoint resume after SIGKILL (real subprocess, real sqlite checkpoints, FAKE scripted LLM)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scenarios import hard_llm

from triloop.graphs.builder import build_solve_graph
from triloop.graphs.runner import RunPaths, SolveRunner, sqlite_checkpointer
from triloop.graphs.state import SolveConfig, UnknownRunError

WORKER = Path(__file__).with_name("sigkill_worker.py")


def _wait_for(path: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not (path.exists() and path.read_text().strip()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.05)


def test_resume_after_sigkill_does_not_redo_finished_nodes(tmp_path):
    log = tmp_path / "calls.jsonl"
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(tmp_path), "run-kill", str(log)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        _wait_for(log.with_suffix(".marker"))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    before = [json.loads(line) for line in log.read_text().splitlines()]
    assert sum(1 for c in before if c["role"] == "solver" and c["last"].startswith("Task:")) == 3
    assert sum(1 for c in before if "targeted feedback" in c["reply"] or c["role"] == "reviewer") >= 2

    llm = hard_llm()  # a fresh process-equivalent: new fake, same checkpoints
    paths = RunPaths(root=tmp_path)
    with sqlite_checkpointer(paths.checkpoints) as saver:
        runner = SolveRunner(build_solve_graph(llm, checkpointer=saver), paths)
        outcome = runner.resume("run-kill")
    assert outcome.result is not None
    assert outcome.result.stopped_by == "verified"
    assert outcome.result.answer == "12"
    roles = [c["role"] for c in llm.calls]
    # intake, drafting, step scoring of drafts and the reviews were finished before the kill: not redone
    assert llm.count("solver") == 0
    assert sum(1 for c in llm.calls if "targeted feedback" in c["last"]) == 0
    assert roles.count("refiner") == 2  # only the refinements in flight are redone
    trace = paths.trace("run-kill").read_text().splitlines()
    assert any(json.loads(line)["type"] == "result" for line in trace)


def test_resume_unknown_run_is_a_named_error(tmp_path):
    paths = RunPaths(root=tmp_path)
    with sqlite_checkpointer(paths.checkpoints) as saver:
        runner = SolveRunner(build_solve_graph(hard_llm(), checkpointer=saver), paths)
        with pytest.raises(UnknownRunError, match="no run with id"):
            runner.resume("nope")


def test_runner_interrupt_then_resume_with_answer(tmp_path):
    paths = RunPaths(root=tmp_path)
    config = SolveConfig(k=2, interactive=True, budgets={"max_rounds": 0})
    with sqlite_checkpointer(paths.checkpoints) as saver:
        runner = SolveRunner(build_solve_graph(hard_llm(), checkpointer=saver), paths)
        first = runner.start("What is 3*4?", config, run_id="ask")
        assert first.result is None and first.interrupt is not None
        assert "refinement rounds" in first.interrupt["reason"]
        second = runner.resume("ask", answer="yes")
    assert second.result is not None and second.result.stopped_by == "verified"
