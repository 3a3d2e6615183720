"""`triloop code` end to end: the REAL embedded model, the real sandbox, through the console entry point."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

model = pytest.mark.model  # these run the embedded model (slow)

TRILOOP = [sys.executable, "-m", "triloop.cli"]

SPEC = '''def count_vowels(text: str) -> int:
    """Count the vowels (a, e, i, o, u, either case) in text.
    >>> count_vowels("Hello")
    2
    >>> count_vowels("xyz")
    0
    """
'''


def run_code(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRILOOP_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    return subprocess.run([*TRILOOP, "code", *args], capture_output=True, text=True, env=env, timeout=1200)


@model
@pytest.mark.slow
def test_code_writes_checked_code_and_shows_its_evidence_and_cost(tmp_path):
    out = tmp_path / "vowels.py"
    proc = run_code(tmp_path, SPEC, "--out", str(out), "--k", "2", "--no-memory", "--max-rounds", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code = out.read_text()
    namespace: dict = {}
    exec(compile(code, str(out), "exec"), namespace)  # the test process runs it: it is the checked answer
    assert namespace["count_vowels"]("Hello") == 2 and namespace["count_vowels"]("AEIOUxyz") == 5
    assert isinstance(ast.parse(code).body[-1], ast.FunctionDef)  # no usage code left at the top level
    text = proc.stdout
    assert 'doctest: count_vowels("Hello") -> 2, expected 2' in text  # the task's own examples ran
    assert "generated:" in text  # and the Tester's tests
    assert "LLM calls" in text and "completion tokens" in text  # the cost


@model
@pytest.mark.slow
def test_code_with_user_tests_and_a_signature(tmp_path):
    tests = tmp_path / "test_rev.py"
    tests.write_text("from solution import reverse_words\nassert reverse_words('a b c') == 'c b a'\n")
    proc = run_code(
        tmp_path,
        "Reverse the order of the words of a sentence (words are separated by single spaces).",
        "--signature",
        "def reverse_words(sentence: str) -> str",
        "--tests",
        str(tests),
        "--k",
        "2",
        "--no-memory",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "def reverse_words" in proc.stdout
    assert ("settled easy (" in proc.stdout or "verified (" in proc.stdout) and "unsure (" not in proc.stdout
    assert "pass tests" in proc.stdout  # the user's tests ran on the chosen code


def test_code_rejects_bad_input_in_one_line(tmp_path):
    proc = run_code(tmp_path, "x", "--signature", "reverse it")
    assert proc.returncode == 2 and "--signature must look like" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run_code(tmp_path, "x", "--tests", str(tmp_path / "missing.py"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_code_runs_a_task_as_coding_whatever_its_wording(tmp_path, monkeypatch):
    """`triloop code` names the kind: no kind decision, the coding kind asks for the function to write.

    The model is the scripted FAKE LLM of tests/graphs and no sandbox is opened (nothing is run here)."""
    from types import SimpleNamespace

    from typer.testing import CliRunner

    from tests.graphs.fake_llm import Rule, ScriptedFakeLLM, signature_rule
    from triloop.cli import app
    from triloop.kinds.decide import by_wording

    spec = "Reverse the order of the words of a sentence."
    assert by_wording(spec).kind == "general"  # by its wording alone: an answer, not code
    code = "def reverse_words(sentence: str) -> str:\n    return ' '.join(reversed(sentence.split()))\n"
    llm = ScriptedFakeLLM(  # no rule for a kind call: one would fail the run
        [
            signature_rule("def reverse_words(sentence: str) -> str"),
            Rule("solver", "Write Python code for the task below", f"```python\n{code}```"),
        ]
    )
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("triloop.graphs.factory.make_llm", lambda settings: llm)
    monkeypatch.setattr(
        "triloop.graphs.factory.make_tools", lambda settings: ([], SimpleNamespace(close=lambda: None))
    )
    result = CliRunner().invoke(app, ["code", spec, "--strategy", "single", "--no-memory"])
    assert result.exit_code == 0, result.output
    assert "(single, coding)" in result.output and "def reverse_words" in result.output
    assert [c["reply"][:1] for c in llm.calls] == ["{", "`"]  # the signature, then the one draft
    (trace,) = (tmp_path / "runs" / "traces").glob("*.jsonl")
    intake = next(e for e in map(json.loads, trace.read_text().splitlines()) if e["type"] == "intake")
    assert (intake["kind"], intake["decided_by"], intake["entry_point"]) == (
        "coding",
        "explicit",
        "reverse_words",
    )
