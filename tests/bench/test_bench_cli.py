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


QUESTION_ROW = {"id": "q/0", "question": "What is 6 x 7?", "answer": "42"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gym", "lcmm", "--n", "2"], "unknown reasoning-gym family 'lcmm'"),
        (["gym", "lcm,lcm"], "given twice"),
        (["gym", "lcm,count_primes", "--n", "1"], "fewer than the 2 families"),
        (["gym", "lcm", "-s", "magic"], "unknown strategy"),
    ],
)
def test_bench_gym_bad_input_is_a_bench_input_error_before_any_model_loads(
    tmp_path, monkeypatch, args, message
):
    pytest.importorskip("reasoning_gym", reason="question benches need the 'bench' extra (reasoning-gym)")
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["bench", *args])
    assert isinstance(result.exception, BenchInputError), result.output
    assert message in str(result.exception) and result.exception.exit_code == 2


def test_bench_tasks_of_mixed_shapes_is_bad_input(tmp_path, monkeypatch):
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    mixed = jsonl(tmp_path / "mixed.jsonl", json.dumps(QUESTION_ROW), json.dumps(GOOD))
    result = CliRunner().invoke(app, ["bench", "tasks", str(mixed), "-s", "plain"])
    assert isinstance(result.exception, BenchInputError) and "one file holds one shape" in str(
        result.exception
    )


def test_bench_gym_usage_errors_exit_2(tmp_path):
    assert CliRunner().invoke(app, ["bench", "gym", "lcm", "--n", "0"]).exit_code == 2
    assert CliRunner().invoke(app, ["bench", "gym", "lcm", "--pair-timeout", "0"]).exit_code == 2
    assert CliRunner().invoke(app, ["bench", "gym"]).exit_code == 2


def test_bench_gym_unknown_family_exits_2_with_one_line(tmp_path):
    pytest.importorskip("reasoning_gym", reason="question benches need the 'bench' extra (reasoning-gym)")
    done = run_cli("gym", "lcm,primes_count", "--n", "4", home=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: unknown reasoning-gym family 'primes_count'") and "lcm" in line


def test_bench_gym_end_to_end_with_plain_on_a_scripted_model(bench_sandbox, tmp_path, monkeypatch):
    """The whole command with a scripted model that knows the answers of the first family only; the real
    reasoning-gym scorers judge; then a rerun resumes and adds nothing."""
    pytest.importorskip("reasoning_gym", reason="question benches need the 'bench' extra (reasoning-gym)")
    from bench_fakes import OracleLLM

    from triloop.bench.questions import load_gym

    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRILOOP_SANDBOX__POOL_SIZE", "0")
    known = {p.question: p.answer or "" for p in load_gym(["lcm"], 2, 5)}
    llm = OracleLLM(known)
    monkeypatch.setattr("triloop.graphs.factory.make_llm", lambda settings: llm)
    out = tmp_path / "out"
    args = ["bench", "gym", "lcm,basic_arithmetic_large", "--n", "3", "--seed", "5", "-s", "plain"]
    args += ["--out", str(out), "-m", "fake-model"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [(x["task_id"], x["passed"]) for x in lines] == [  # one question of each family in turn
        ("lcm/0", True),
        ("basic_arithmetic_large/0", False),
        ("lcm/1", True),
    ]
    assert lines[0]["answer"] == lines[0]["expected"] and lines[1]["answer"] == "0"
    assert "2/3 basic_arithmetic_large/0: plain FAIL (wrong answer '0'" in first.output
    assert "outcomes" in first.output and "2/3" in first.output
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert len(llm.calls) == 3 and len((out / "results.jsonl").read_text().splitlines()) == 3
    reseeded = CliRunner().invoke(app, [("6" if x == "5" else x) for x in args])  # --seed 6, same --out
    assert isinstance(reseeded.exception, BenchInputError) and "another question" in str(reseeded.exception)


def test_bench_tasks_of_questions_end_to_end_with_plain(bench_sandbox, tmp_path, monkeypatch):
    from bench_fakes import OracleLLM

    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRILOOP_SANDBOX__POOL_SIZE", "0")
    llm = OracleLLM({"What is 6 x 7?": "42.0"})
    monkeypatch.setattr("triloop.graphs.factory.make_llm", lambda settings: llm)
    rows = [json.dumps(QUESTION_ROW), json.dumps({"id": "q/1", "question": "What is 2 + 2?", "answer": 4})]
    tasks = jsonl(tmp_path / "q.jsonl", *rows)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["bench", "tasks", str(tasks), "-s", "plain", "--out", str(out), "-m", "f"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [(x["answer"], x["expected"], x["passed"]) for x in lines] == [
        ("42.0", "42", True),
        ("0", "4", False),
    ]
