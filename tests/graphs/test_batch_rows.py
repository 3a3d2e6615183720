"""A batch row's run (FAKE scripted LLM, real sqlite run store): its fixed run id makes a second solve of
the same row under the same setup a resume that redoes nothing, another setup a new run; a failing run
is the row's error result, not the batch's end."""

from __future__ import annotations

from scenarios import hard_llm

from triloop.batch.rows import BatchRow
from triloop.batch.run import BatchSetup, solve_row
from triloop.config import load_settings
from triloop.errors import LLMConnectionError
from triloop.graphs.builder import build_solve_graph
from triloop.graphs.runner import SolveRunner
from triloop.graphs.state import SolveConfig
from triloop.graphs.store import LocalRunStore


class BrokenLLM:
    """FAKE LLM whose endpoint is gone."""

    def complete(self, messages, **kwargs):
        raise LLMConnectionError("cannot reach http://nowhere/v1 after 5 attempts")


def test_a_row_solved_again_resumes_its_run_and_another_setup_runs_anew(tmp_path):
    row = BatchRow(id="r1", task="What is 3*4?")
    setup = BatchSetup(settings=load_settings(data_dir=tmp_path), config=SolveConfig(k=3), memory=False)
    with LocalRunStore(tmp_path / "runs") as runs:
        first_llm, again_llm, other_llm = hard_llm(), hard_llm(), hard_llm()
        first = solve_row(
            SolveRunner(build_solve_graph(first_llm, checkpointer=runs.saver), runs), row, setup
        )
        assert first.status == "done" and first.answer == "12" and first_llm.calls
        again = solve_row(
            SolveRunner(build_solve_graph(again_llm, checkpointer=runs.saver), runs), row, setup
        )
        assert again.answer == "12" and again.run_id == first.run_id and not again_llm.calls  # nothing redone
        other = setup.model_copy(update={"config": SolveConfig(k=2)})
        anew = solve_row(SolveRunner(build_solve_graph(other_llm, checkpointer=runs.saver), runs), row, other)
        assert anew.run_id != first.run_id and other_llm.calls


def test_a_failing_run_is_the_rows_error(tmp_path):
    row = BatchRow(id="r2", task="What is 3*4?")
    setup = BatchSetup(settings=load_settings(data_dir=tmp_path), config=SolveConfig(k=2), memory=False)
    with LocalRunStore(tmp_path / "runs") as runs:
        result = solve_row(
            SolveRunner(build_solve_graph(BrokenLLM(), checkpointer=runs.saver), runs), row, setup
        )
    assert result.status == "error" and result.answer is None
    assert result.error.startswith("LLMConnectionError: cannot reach http://nowhere/v1")
