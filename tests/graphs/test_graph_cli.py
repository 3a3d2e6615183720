"""CLI surfaces that need no model: `triloop report` on a real trace, bad input, langgraph.json."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from scenarios import hard_llm
from typer.testing import CliRunner

from triloop.cli import app
from triloop.graphs.builder import build_solve_graph
from triloop.graphs.runner import SolveRunner
from triloop.graphs.state import SolveConfig
from triloop.graphs.store import LocalRunStore

ROOT = Path(__file__).resolve().parents[2]


def test_report_renders_the_trace_as_html(tmp_path, monkeypatch):
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    with LocalRunStore(tmp_path / "runs") as runs:
        runner = SolveRunner(build_solve_graph(hard_llm(), checkpointer=runs.saver), runs)
        runner.start("What is 3*4?", SolveConfig(k=3), run_id="r1")
    out = tmp_path / "r1.html"
    result = CliRunner().invoke(app, ["report", "r1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "<h2>Answer</h2><pre>12</pre>" in html
    assert "verified" in html
    assert html.count("<tr>") > 10  # LLM calls, scores, decisions rows
    assert "http" not in html.replace("http-equiv", "")  # self-contained: no external assets


def test_report_of_unknown_run_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["report", "missing"])
    assert result.exit_code != 0
    assert "no trace" in str(result.exception)


def test_solve_rejects_bad_input(tmp_path, monkeypatch):
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    bad = CliRunner().invoke(app, ["solve", "2+2", "--strategy", "magic"])
    assert "unknown strategy" in str(bad.exception)
    empty = CliRunner().invoke(app, ["solve", "  "])
    assert "empty" in str(empty.exception)


def test_langgraph_json_points_at_the_graph_factory():
    config = json.loads((ROOT / "langgraph.json").read_text())
    for target in config["graphs"].values():
        path, name = target.split(":")
        module = importlib.import_module(path.removeprefix("./").removesuffix(".py").replace("/", "."))
        assert callable(getattr(module, name))


def test_solve_prints_answer_evidence_and_cost_then_report_and_resume(tmp_path, monkeypatch):
    """`triloop solve` end to end through the CLI, with the scripted FAKE LLM standing in for the model."""
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("triloop.graphs.factory.make_llm", lambda settings: hard_llm())
    runner = CliRunner()
    solved = runner.invoke(app, ["solve", "What is 3*4?", "--no-tools", "--no-memory", "--run-id", "cli1"])
    assert solved.exit_code == 0, solved.output
    assert "Answer: 12" in solved.output
    assert "verified" in solved.output and "recompute" in solved.output
    assert "LLM calls" in solved.output and "tokens" in solved.output
    assert (tmp_path / "runs" / "traces" / "cli1.jsonl").is_file()
    again = runner.invoke(app, ["resume", "cli1", "--no-tools", "--no-memory"])
    assert again.exit_code == 0 and "Answer: 12" in again.output  # a finished run just reports


def test_solve_over_budget_in_batch_stops_with_budget(tmp_path, monkeypatch):
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("triloop.graphs.factory.make_llm", lambda settings: hard_llm())
    result = CliRunner().invoke(
        app, ["solve", "What is 3*4?", "--no-tools", "--no-memory", "--max-rounds", "0", "--run-id", "cli2"]
    )
    assert result.exit_code == 0, result.output
    assert "budget reached" in result.output and "stopped by budget" in result.output


def test_live_view_follows_the_stream_events(tmp_path):
    from rich.console import Console

    from triloop.graphs.live import LiveView

    view = LiveView("r")
    with LocalRunStore(tmp_path) as runs:
        SolveRunner(
            build_solve_graph(hard_llm(), checkpointer=runs.saver), runs, on_event=view.on_event
        ).start("What is 3*4?", SolveConfig(k=3), run_id="lv")
    console = Console(record=True, width=120)
    console.print(view)
    text = console.export_text()
    assert "c0.r1" in text or "c1.r1" in text or "c2.r1" in text  # refined candidates with their scores
    assert "settle -> verified" in text
    assert {"replaced", "active"} <= {ev["status"] for ev in view.candidates.values()}
    assert view.calls > 5 and view.tokens > 0


def test_solve_takes_defaults_from_the_solve_settings_and_flags_override_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    toml = tmp_path / "triloop.toml"
    toml.write_text('[solve]\nstrategy = "sc"\nk = 2\n[solve.budgets]\nmax_rounds = 0\n')
    monkeypatch.setenv("TRILOOP_CONFIG", str(toml))
    llm = hard_llm()
    monkeypatch.setattr("triloop.graphs.factory.make_llm", lambda settings: llm)
    args = ["solve", "What is 3*4?", "--no-tools", "--no-memory", "--no-interactive"]
    result = CliRunner().invoke(app, [*args, "--run-id", "cfg1"])
    assert result.exit_code == 0, result.output
    assert "(sc, general)" in result.output  # the strategy came from [solve]; the kind from the wording
    assert llm.count("solver", "Task:") == 2  # k = 2 from [solve]
    flagged = CliRunner().invoke(app, [*args, "--k", "1", "--strategy", "single", "--run-id", "cfg2"])
    assert flagged.exit_code == 0 and "(single, general)" in flagged.output
    assert llm.count("solver", "Task:") == 3  # the flag k=1 won over the setting


def test_solve_kind_flag_skips_the_decision_and_rejects_unknown_kinds(tmp_path, monkeypatch):
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    llm = hard_llm()
    monkeypatch.setattr("triloop.graphs.factory.make_llm", lambda settings: llm)
    # the wording leaves this one open (it mentions Python): without --kind, intake would ask the model
    task = "How does Python evaluate `3*4`?"
    args = ["solve", task, "--no-tools", "--no-memory", "--no-interactive", "--strategy", "single"]
    result = CliRunner().invoke(app, [*args, "--kind", "general", "--run-id", "k1"])
    assert result.exit_code == 0, result.output
    assert "(single, general)" in result.output and "Answer: 11" in result.output
    assert llm.count("solver", "Decide what the person wants") == 0  # no kind call: the caller named it
    intake = next(
        json.loads(line)
        for line in (tmp_path / "runs" / "traces" / "k1.jsonl").read_text().splitlines()
        if json.loads(line)["type"] == "intake"
    )
    assert (intake["kind"], intake["decided_by"]) == ("general", "explicit")
    for bad, says in (("ml", "triloop ml"), ("magic", "unknown task kind")):
        refused = CliRunner().invoke(app, [*args, "--kind", bad])
        assert refused.exit_code != 0 and says in str(refused.exception)
    older = CliRunner().invoke(app, [*args, "--kind", "math", "--run-id", "k2"])  # an older name: general
    assert older.exit_code == 0 and "(single, general)" in older.output


def test_solve_rejects_invalid_option_values_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    bad = CliRunner().invoke(app, ["solve", "2+2", "--k", "0"])
    assert bad.exit_code != 0
    assert "invalid solve options" in str(bad.exception) and "k" in str(bad.exception)


def test_solve_settings_can_turn_the_budget_question_off(tmp_path, monkeypatch):
    monkeypatch.setenv("TRILOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("triloop.graphs.factory.make_llm", lambda settings: hard_llm())
    args = ["solve", "What is 3*4?", "--no-tools", "--no-memory", "--max-rounds", "0"]
    asked = CliRunner().invoke(app, [*args, "--run-id", "q1"])  # the CLI default: the run pauses to ask
    assert asked.exit_code == 0 and "budget reached (" in asked.output
    toml = tmp_path / "triloop.toml"
    toml.write_text("[solve]\ninteractive = false\n")
    monkeypatch.setenv("TRILOOP_CONFIG", str(toml))
    batch = CliRunner().invoke(app, [*args, "--run-id", "q2"])  # batch: stops without pausing
    assert batch.exit_code == 0 and "stopped by budget" in batch.output
    assert "budget reached (" not in batch.output
