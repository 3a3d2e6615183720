"""Runs kept in a REAL PostgreSQL server (FAKE scripted LLM): what one process writes, another lists,
resumes and reports; several processes may open a fresh database at once; a bad URL is a clear error."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from scenarios import hard_llm
from typer.testing import CliRunner

from triloop.cli import app
from triloop.graphs.builder import build_solve_graph
from triloop.graphs.runner import SolveRunner
from triloop.graphs.state import SolveConfig
from triloop.graphs.store import CheckpointSettings, PostgresRunStore, RunStoreError, open_run_store


def _settings(postgres, name: str) -> CheckpointSettings:
    return CheckpointSettings(url=postgres.fresh_database(name))


def test_a_run_written_by_one_store_is_read_by_another(postgres, tmp_path, monkeypatch):
    settings = _settings(postgres, "shared_run")
    with open_run_store(settings, tmp_path / "a") as first:
        SolveRunner(build_solve_graph(hard_llm(), checkpointer=first.saver), first).start(
            "What is 3*4?", SolveConfig(k=3), run_id="pg1"
        )
    with open_run_store(settings, tmp_path / "b") as second:  # a new pool, another data directory
        runner = SolveRunner(build_solve_graph(hard_llm(), checkpointer=second.saver), second)
        outcome = runner.outcome("pg1")
        assert outcome.result is not None and outcome.result.answer == "12"
        assert next(e for e in second.events("pg1") if e["type"] == "result")["answer"] == "12"
        assert runner.resume("pg1").result == outcome.result  # finished: resuming changes nothing
    assert not (tmp_path / "b" / "traces").exists()

    monkeypatch.setenv("TRILOOP_CHECKPOINT__URL", settings.url.get_secret_value())
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path / "c"))
    out = tmp_path / "pg1.html"
    result = CliRunner().invoke(app, ["report", "pg1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "<h2>Answer</h2><pre>12</pre>" in out.read_text()
    monkeypatch.setenv("COLUMNS", "200")
    listed = _cli("runs")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "pg1" in line)
    assert "general" in row and "verified" in row and "What is 3*4?" in row
    missing = _cli("report", "nope")
    assert missing.returncode == 1 and "error: no trace for run 'nope'" in missing.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line (errors are printed by ``triloop.cli.main``), with this test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "triloop.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_processes_opening_a_fresh_database_at_once_all_succeed(postgres, tmp_path):
    settings = _settings(postgres, "racing_setup")

    def open_and_write(i: int) -> int:
        with PostgresRunStore(settings, tmp_path / str(i)) as store:
            with store.tracer(f"r{i}") as write:
                write({"type": "node", "i": i})
            return len(store.events(f"r{i}"))

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(open_and_write, range(6))) == [1] * 6


def test_bad_urls_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(RunStoreError, match="must start with postgresql://"):
        open_run_store(CheckpointSettings(url="mysql://x@localhost/db"), tmp_path)
    with pytest.raises(
        RunStoreError, match=r"cannot open the run store at postgresql://u:\*\*\*@127.0.0.1:9/x"
    ):
        open_run_store(
            CheckpointSettings(url="postgresql://u:secret@127.0.0.1:9/x", connect_timeout_s=1), tmp_path
        )

    monkeypatch.setenv("TRILOOP_CHECKPOINT__URL", "postgresql://u:secret@127.0.0.1:9/x")
    monkeypatch.setenv("TRILOOP_CHECKPOINT__CONNECT_TIMEOUT_S", "1")
    result = _cli("report", "r1")
    assert result.returncode == 1, result.stderr
    assert "error: cannot open the run store" in result.stderr and "secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_database_that_goes_away_mid_use_is_a_named_error(postgres, tmp_path):
    settings = _settings(postgres, "goes_away")
    name = "goes_away"
    with open_run_store(settings, tmp_path) as runs:
        runner = SolveRunner(build_solve_graph(hard_llm(), checkpointer=runs.saver), runs)
        with psycopg.connect(postgres.url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
        with pytest.raises(RunStoreError, match=r"the run store at postgresql://.* failed"):
            runner.start("What is 3*4?", SolveConfig(k=3), run_id="gone")
