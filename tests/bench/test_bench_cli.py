"""Loading problems and the `triloop bench` commands: bad input is one red line and exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triloop.bench.errors import BenchInputError
from triloop.bench.problems import load_tasks, select
from triloop.bench.strategies import DEFAULT_STRATEGIES, parse_strategies
from triloop.cli import app

ROOT = Path(__file__).resolve().parents[2]

GOOD = {
    "task_id": "mine/0",
    "prompt": 'def add(a, b):\n    """Return a + b."""\n',
    "entry_point": "add",
    "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n",
}


def jsonl(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_load_tasks_keeps_file_order_and_skips_blank_lines(tmp_path):
    second = {**GOOD, "task_id": "mine/10"}
    path = jsonl(tmp_path / "t.jsonl", json.dumps(second), "", json.dumps(GOOD))
    assert [p.task_id for p in load_tasks(path)] == ["mine/10", "mine/0"]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([json.dumps(GOOD), "{not json"], "line 2: not valid JSON"),
        ([json.dumps({k: v for k, v in GOOD.items() if k != "test"})], "line 1: missing field 'test'"),
        ([json.dumps({**GOOD, "entry_point": 3})], "'entry_point' must be a non-empty string"),
        (["[1, 2]"], "expected a JSON object"),
        ([json.dumps(GOOD), json.dumps(GOOD)], "appears twice"),
        (["", "  "], "holds no tasks"),
    ],
)
def test_bad_tasks_files_are_named_clearly(tmp_path, lines, message):
    with pytest.raises(BenchInputError, match=message) as caught:
        load_tasks(jsonl(tmp_path / "bad.jsonl", *lines))
    assert caught.value.exit_code == 2


def test_missing_tasks_file(tmp_path):
    with pytest.raises(BenchInputError, match="does not exist"):
        load_tasks(tmp_path / "nope.jsonl")


def test_humaneval_loads_in_numeric_id_order(humaneval):
    ids = list(humaneval)
    assert len(ids) == 164
    assert ids[:3] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert ids.index("HumanEval/10") == 10


def test_select_applies_offset_then_limit(humaneval):
    chosen = select(humaneval.values(), offset=5, limit=2)
    assert [p.task_id for p in chosen] == ["HumanEval/5", "HumanEval/6"]


def test_strategy_names_are_validated_and_deduplicated():
    assert parse_strategies(None) == list(DEFAULT_STRATEGIES)
    assert parse_strategies(["plain,triloop", "Plain", "sc"]) == ["plain", "triloop", "sc"]
    with pytest.raises(BenchInputError, match="unknown strategy 'magic'"):
        parse_strategies(["plain", "magic"])


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRILOOP_DATA_DIR": str(home), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "triloop.cli", "bench", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_bench_tasks_on_bad_input_exits_2_with_one_line(tmp_path):
    bad = jsonl(tmp_path / "bad.jsonl", json.dumps(GOOD), '{"task_id": "x", "prompt": ')
    cases = [
        (["tasks", str(bad), "--strategy", "plain"], "line 2: not valid JSON"),
        (["tasks", str(tmp_path / "missing.jsonl")], "does not exist"),
        (
            ["tasks", str(jsonl(tmp_path / "ok.jsonl", json.dumps(GOOD))), "--strategy", "magic"],
            "unknown strategy",
        ),
        (["humaneval", "--strategy", "nope"], "unknown strategy"),
        (["humaneval", "--offset", "500"], "no problems selected"),
    ]
    for args, message in cases:
        done = run_cli(*args, home=tmp_path)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], (args, done.stderr)


def test_bench_report_of_an_empty_folder_exits_2(tmp_path):
    done = run_cli("report", str(tmp_path), home=tmp_path)
    assert done.returncode == 2 and "no bench results" in done.stderr


def test_bench_tasks_end_to_end_with_plain_on_a_scripted_model(bench_sandbox, tmp_path, monkeypatch):
    """The whole command (settings, sandbox, plain strategy, harness, report) with a scripted model that
    answers the canonical code in a fenced block; then a rerun resumes and adds nothing."""
    pytest.importorskip("triloop.kinds.coding.extract", reason="the coding kind's extractor is not there yet")
    from bench_fakes import AnswerLLM

    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRILOOP_SANDBOX__POOL_SIZE", "0")
    llm = AnswerLLM("```python\ndef add(a, b):\n    return a + b\n```")
    monkeypatch.setattr("triloop.graphs.factory.make_llm", lambda settings: llm)
    tasks = jsonl(tmp_path / "t.jsonl", json.dumps(GOOD), json.dumps({**GOOD, "task_id": "mine/1"}))
    out = tmp_path / "out"
    args = [
        "bench",
        "tasks",
        str(tasks),
        "-s",
        "plain",
        "--out",
        str(out),
        "--timeout",
        "5",
        "-m",
        "fake-model",
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "2/2 mine/1: plain pass" in first.output
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [(x["task_id"], x["passed"], x["model"]) for x in lines] == [
        ("mine/0", True, "fake-model"),
        ("mine/1", True, "fake-model"),
    ]
    assert lines[0]["calls"] == 1 and lines[0]["tokens"] == 30
    assert (out / "summary.json").is_file() and (out / "pass_vs_tokens.png").stat().st_size > 0
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert len((out / "results.jsonl").read_text().splitlines()) == 2
    assert len(llm.calls) == 2
    other = CliRunner().invoke(app, [*args[:-1], "another-model"])
    assert isinstance(other.exception, BenchInputError) and "another --out" in str(other.exception)
