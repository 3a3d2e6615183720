"""Experiments in one REAL sandbox session, each in a fork: same results as a fresh `python3`, nothing
carried from one experiment to the next, and a timeout that costs the session but not the run."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")

from triloop.ml.baseline import baseline_script
from triloop.ml.datasets import init_dataset
from triloop.ml.harness import run_experiment
from triloop.ml.runner import ExperimentSession, OneShot, open_runner

MODEL = """
from sklearn.dummy import DummyClassifier


def build_model():
    return DummyClassifier()
"""


@pytest.fixture
def wine(tmp_path):
    root = tmp_path / "wine"
    return root, init_dataset(root, "wine")


def test_a_session_experiment_scores_as_a_fresh_python_does(sandbox, wine):
    root, task = wine
    fresh = run_experiment(OneShot(sandbox), root, task, baseline_script(task))
    with open_runner(sandbox) as runner:
        assert isinstance(runner, ExperimentSession)
        runs = [run_experiment(runner, root, task, baseline_script(task)) for _ in range(2)]
    assert fresh.status == "ok" and [r.metric for r in runs] == [fresh.metric, fresh.metric]


def test_nothing_carries_over_between_experiments(sandbox, wine):
    root, task = wine
    leave = (
        "import builtins, os, tempfile, numpy\nbuiltins.LEFT = 1\nos.makedirs('junk', exist_ok=True)  # imported once per fold\n"
        "open(os.path.join(tempfile.gettempdir(), 'cache'), 'w').write('x')\n"
        "open(os.path.expanduser('~/.cache-x'), 'w').write('x')\n"
        "print('draw', numpy.random.rand())\n"
    )
    check = (
        "import builtins, os, tempfile, numpy\n"
        "assert not hasattr(builtins, 'LEFT'), 'a global of the last experiment'\n"
        "assert not os.path.exists('junk'), 'a file of the last experiment'\n"
        "assert not os.path.exists(os.path.join(tempfile.gettempdir(), 'cache')), 'its temp file'\n"
        "assert not os.path.exists(os.path.expanduser('~/.cache-x')), 'its home file'\n"
        "assert __name__ == 'experiment'  # imported by the harness program, in a fresh child\n"
    )
    with open_runner(sandbox) as runner:
        first = run_experiment(runner, root, task, leave + MODEL)
        again = run_experiment(runner, root, task, leave + MODEL)
        second = run_experiment(runner, root, task, check + MODEL)
    assert first.status == "ok" and again.status == "ok" and second.status == "ok", second.detail
    # an unseeded generator draws afresh in each experiment, as in a new python3 (the audit relies on it)
    assert first.output != again.output


def test_a_timeout_restarts_the_session_and_the_next_experiment_runs(sandbox, wine):
    root, task = wine
    short = task.model_copy(update={"experiment_timeout_s": 3})
    with open_runner(sandbox) as runner:
        hung = run_experiment(runner, root, short, "while True:\n    pass\n")
        crashed = run_experiment(
            runner, root, task, "import sklearn\n\ndef f():\n    raise ValueError('bad')\n\nf()\n"
        )
        after = run_experiment(runner, root, task, baseline_script(task))
    assert hung.status == "timeout"
    assert (
        crashed.status == "failed"
        and 'experiment.py", line 4' in crashed.detail
        and "ValueError: bad" in crashed.detail
    )
    assert "runpy" not in crashed.detail  # the traceback starts at the script, as under python3
    assert after.status == "ok" and after.metric > 0.8


def test_a_sandbox_that_cannot_open_a_session_runs_each_experiment_fresh():
    from triloop.tools.sandbox.errors import SessionError

    class NoSessions:  # a stand-in sandbox whose session worker does not start
        def open_session(self, workspace):
            raise SessionError("session worker did not start")

    box = NoSessions()
    with open_runner(box) as runner:
        assert isinstance(runner, OneShot) and runner.sandbox is box
