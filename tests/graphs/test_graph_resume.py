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
from triloop.graphs.runner import SolveRunner
from triloop.graphs.state import SolveConfig, UnknownRunError
from triloop.graphs.store import CheckpointSettings, LocalRunStore, open_run_store

WORKER = Path(__file__).with_name("sigkill_worker.py")


def _wait_for(path: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not (path.exists() and path.read_text().strip()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgres"])
def checkpoints(request, tmp_path) -> CheckpointSettings:
    """Both run stores: local sqlite, and a fresh database on the session's real PostgreSQL server."""
    if request.param == "sqlite":
        return CheckpointSettings()
    server = request.getfixturevalue("postgres")
    return CheckpointSettings(url=server.fresh_database(f"kill_{tmp_path.name[-20:].lower()}"))


def test_resume_after_sigkill_does_not_redo_finished_nodes(tmp_path, checkpoints):
    log = tmp_path / "calls.jsonl"
    url = [checkpoints.url.get_secret_value()] if checkpoints.url else []
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(tmp_path / "worker"), "run-kill", str(log), *url],
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
    # the resuming side has its own data directory: with PostgreSQL nothing is read from the worker's
    with open_run_store(checkpoints, tmp_path / ("worker" if checkpoints.url is None else "other")) as runs:
        runner = SolveRunner(build_solve_graph(llm, checkpointer=runs.saver), runs)
        outcome = runner.resume("run-kill")
        events = runs.events("run-kill")
    assert outcome.result is not None
    assert outcome.result.stopped_by == "verified"
    assert outcome.result.answer == "12"
    roles = [c["role"] for c in llm.calls]
    # intake, drafting, step scoring of drafts and the reviews were finished before the kill: not redone
    assert llm.count("solver") == 0
    assert sum(1 for c in llm.calls if "targeted feedback" in c["last"]) == 0
    assert roles.count("refiner") == 2  # only the refinements in flight are redone
    # one trace across both processes: the killed one's refine events, then the resumed result
    types = [e["type"] for e in events]
    assert types[0] == "intake" and types.count("result") == 1


def test_resume_unknown_run_is_a_named_error(tmp_path):
    with LocalRunStore(tmp_path) as runs:
        runner = SolveRunner(build_solve_graph(hard_llm(), checkpointer=runs.saver), runs)
        with pytest.raises(UnknownRunError, match="no run with id"):
            runner.resume("nope")


def test_runner_interrupt_then_resume_with_answer(tmp_path):
    config = SolveConfig(k=2, interactive=True, budgets={"max_rounds": 0})
    with LocalRunStore(tmp_path) as runs:
        runner = SolveRunner(build_solve_graph(hard_llm(), checkpointer=runs.saver), runs)
        first = runner.start("What is 3*4?", config, run_id="ask")
        assert first.result is None and first.interrupt is not None
        assert "refinement rounds" in first.interrupt["reason"]
        second = runner.resume("ask", answer="yes")
    assert second.result is not None and second.result.stopped_by == "verified"
