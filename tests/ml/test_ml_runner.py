"""Experiments in one REAL sandbox session, each in a fork: same results as a fresh `python3`, nothing
carried from one experiment to the next, and a timeout that costs the session but not the run."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")

from triloop.ml.baseline import baseline_script
from triloop.ml.datasets import init_bundled
from triloop.ml.harness import run_experiment
from triloop.ml.runner import ExperimentSession, OneShot, open_runner

WRITE = """import os
os.makedirs("predictions", exist_ok=True)
n = {"valid": sum(1 for _ in open("data/valid.csv")) - 1, "test": sum(1 for _ in open("data/test.csv")) - 1}
for split in n:
    with open(f"predictions/{split}.csv", "w") as fh:
        fh.write("prediction\\n" + "0\\n" * n[split])
"""


@pytest.fixture
def wine(tmp_path):
    root = tmp_path / "wine"
    return root, init_bundled(root, "wine")


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
        "import builtins, os, tempfile, numpy\nbuiltins.LEFT = 1\nos.makedirs('junk')\n"
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
        "assert __name__ == '__main__'\n"
    )
    with open_runner(sandbox) as runner:
        first = run_experiment(runner, root, task, leave + WRITE)
        again = run_experiment(runner, root, task, leave + WRITE)
        second = run_experiment(runner, root, task, check + WRITE)
    assert first.status == "ok" and again.status == "ok" and second.status == "ok", second.detail
    # an unseeded generator draws afresh in each experiment, as in a new python3 (the audit relies on it)
    assert first.output != again.output


def test_files_left_open_are_flushed_as_python3_would(sandbox, wine):
    root, task = wine
    unclosed = (  # the validation file, written last, is never closed: only shutdown flushes it
        "import os\nos.makedirs('predictions', exist_ok=True)\n\n\ndef helper():  # a function: its globals are a cycle\n    pass\n\n\n"
        "rows = {s: sum(1 for _ in open(f'data/{s}.csv')) - 1 for s in ('test', 'valid')}\n"
        "for split in ('test', 'valid'):\n"
        "    fh = open(f'predictions/{split}.csv', 'w')\n"
        "    fh.write('prediction\\n' + '0\\n' * rows[split])\n"
    )
    with open_runner(sandbox) as runner:
        run = run_experiment(runner, root, task, "import sklearn\n" + unclosed)
    assert run.status == "ok", run.detail


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
