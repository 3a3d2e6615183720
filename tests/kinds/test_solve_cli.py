"""`triloop solve` end to end on a question: the REAL embedded model (the default 1.5B, as the README's
example runs it), the real sandbox, through the console entry point. The answer is the number, printed
first, with how sure the team is."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

TRILOOP = [sys.executable, "-m", "triloop.cli"]


def run_solve(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRILOOP_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    return subprocess.run(
        [*TRILOOP, "solve", "--no-interactive", "--no-memory", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )


@pytest.mark.model
@pytest.mark.slow
def test_a_question_is_answered_with_the_computed_number(tmp_path):
    proc = run_solve(
        tmp_path, "--model", "local", "What is 123457 * 654323? Use Python to compute it exactly."
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    answer = next(line for line in lines if line.startswith("Answer:"))
    assert answer.split()[-1] == "80780754611", proc.stdout  # the value, not "see code"
    assert "general" in proc.stdout  # decided as a question, by its wording (no model call for it)
    assert any(label in proc.stdout for label in ("settled easy", "verified", "unsure"))
    assert "LLM calls" in proc.stdout


def test_an_unknown_kind_is_a_clear_error(tmp_path):
    proc = run_solve(tmp_path, "--kind", "ml", "Tune a random forest")
    assert proc.returncode == 2
    assert "triloop ml" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
