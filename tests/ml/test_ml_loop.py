"""The experiment loop: decisions on a scripted FAKE LLM with the REAL sandbox (debug after a failure,
leaks refused, resume from the log), and one run end to end on the REAL embedded model (0.5B)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

pytest.importorskip("sklearn")

from tests.ml.fakes import FakeScriptLLM, fenced, variant
from triloop.ml.baseline import baseline_script
from triloop.ml.datasets import init_bundled
from triloop.ml.experiments import LOG, Experiment, read_log
from triloop.ml.leaks import leak_of
from triloop.ml.loop import MLRun, script_of
from triloop.ml.report import write_report


def test_a_failed_experiment_is_debugged_from_its_error_and_leaks_are_refused(sandbox, tmp_path):
    task = init_bundled(tmp_path / "wine", "wine")
    good = baseline_script(task).replace("HistGradientBoostingClassifier", "RandomForestClassifier")
    llm = FakeScriptLLM(
        [
            json.dumps({"idea": "try a random forest", "why": "robust on small data"}),
            fenced("import sklearn\nraise ValueError('bad shape')\n"),  # improve -> fails
            fenced(good),  # debug -> works
            json.dumps({"idea": "peek at the answers", "why": "..."}),
            fenced("print(open('.triloop/test_labels.csv').read())\n"),  # a leak: not run
        ]
    )
    run = MLRun(llm, sandbox, tmp_path / "wine", task)
    run.run(budget_minutes=10, max_experiments=4)
    got = [(e.action, e.parent, e.status) for e in run.experiments]
    assert got == [
        ("baseline", None, "ok"),
        ("improve", 0, "failed"),
        ("debug", 1, "ok"),
        ("improve", 0, "leak"),  # the best is still the baseline (a tie is not "better")
    ]
    assert "bad shape" in llm.prompts[2]  # the debug prompt carries the error
    assert (
        ", train " in llm.prompts[0] and "minutes left" in llm.prompts[0]
    )  # overfitting and time, for the Reviewer
    assert run.experiments[3].detail.startswith("not run") and run.experiments[2].metric >= 0.8


MEMORIZER = """import os
import pandas as pd
from sklearn.neighbors import KNeighborsClassifier
train, valid, test = (pd.read_csv(f"data/{s}.csv") for s in ("train", "valid", "test"))
features = list(test.columns)
seen = pd.concat([train, valid])  # no "fit(... valid" for the static check to see
model = KNeighborsClassifier(n_neighbors=1).fit(seen[features], seen["target"])
os.makedirs("predictions", exist_ok=True)
for name, rows in (("valid", valid), ("test", test)):
    pd.DataFrame({"prediction": model.predict(rows[features])}).to_csv(f"predictions/{name}.csv", index=False)
"""


def test_a_would_be_best_that_learned_the_validation_labels_is_caught_by_the_audit(sandbox, tmp_path):
    # the baseline scores below 1.0 here, so the memorizer would lead: the audit runs
    task = init_bundled(tmp_path / "cancer", "breast_cancer")
    assert leak_of(MEMORIZER) is None  # the static check misses it
    llm = FakeScriptLLM([json.dumps({"idea": "nearest neighbour"}), fenced(MEMORIZER)])
    run = MLRun(llm, sandbox, tmp_path / "cancer", task)
    run.run(budget_minutes=10, max_experiments=2)
    leaked = run.experiments[1]
    assert leaked.status == "leak" and "valid.csv" in leaked.detail
    assert run.experiments[0].id == 0 and run.lesson().count("nearest") <= 1  # the baseline stays best


def test_resume_goes_on_from_the_log_and_the_report_is_written(sandbox, tmp_path):
    root = tmp_path / "wine"
    task = init_bundled(root, "wine")
    MLRun(FakeScriptLLM([]), sandbox, root, task).run(
        budget_minutes=5, max_experiments=1
    )  # the baseline only
    assert len(read_log(root)) == 1
    llm = FakeScriptLLM([json.dumps({"idea": "random forest"}), fenced(variant(baseline_script(task)))])
    again = MLRun(llm, sandbox, root, task)
    again.run(budget_minutes=5, max_experiments=2)
    assert [e.id for e in read_log(root)] == [0, 1] and len(llm.prompts) == 2
    summary = write_report(root, task, again.experiments)
    assert summary["best"] == 0 and summary["test"] > 0.8
    assert (root / "best.py").is_file() and (root / "metric.png").stat().st_size > 5000
    assert "scored once" in (root / "report.md").read_text()


def test_scripts_and_leaks_are_read_from_replies():
    assert script_of("```python\nx = 1\n```") == "x = 1\n"
    assert script_of("```python\nx = (\n```") is None
    assert leak_of("open('.triloop/test_labels.csv')") and leak_of("m.fit(np.vstack([x_train, x_valid]), y)")
    assert leak_of("model.fit(x_train, y_train)") is None
    assert leak_of("m.fit(pd.read_csv('data/valid.csv')[cols], y)")  # a string names the file
    assert leak_of("scaler.fit_transform(X_test)") and leak_of("m.fit(X=x_train, y=df.y_test)")
    # a keyword's *name* is no data: validation_fraction splits the training rows
    assert leak_of("m.fit(x_train, y_train, validation_fraction=0.2)") is None
    assert leak_of("Model(validation_fraction=0.1).fit(x_train, y_train)") is None


def test_the_lesson_of_a_fixed_script_names_the_idea_its_fixes_started_from(tmp_path):
    task = init_bundled(tmp_path / "wine", "wine")
    run = MLRun(FakeScriptLLM([]), None, tmp_path / "wine", task)
    ok = {"status": "ok", "code_path": "x"}
    run.experiments = [
        Experiment(id=0, parent=None, action="baseline", idea="baseline", metric=0.90, **ok),
        Experiment(id=1, parent=0, action="improve", idea="more trees", status="failed", code_path="y"),
        Experiment(id=2, parent=1, action="debug", idea="fix: TypeError: ...", metric=0.95, **ok),
    ]
    assert "'more trees' gave 0.9500" in run.lesson() and "fix:" not in run.lesson()


@pytest.mark.model
@pytest.mark.slow
def test_ml_run_end_to_end_on_the_embedded_model(sandbox, local_llm_small, tmp_path):
    root = tmp_path / "wine"
    task = init_bundled(root, "wine")
    run = MLRun(local_llm_small, sandbox, root, task)
    best = run.run(budget_minutes=30, max_experiments=3)  # the experiment limit ends it, not the clock
    summary = write_report(root, task, run.experiments)
    assert len(read_log(root)) == 3 and (root / LOG).is_file()
    assert (root / "report.md").is_file() and (root / "metric.png").is_file() and (root / "best.py").is_file()
    baseline = run.experiments[0].metric
    assert best is not None and best.metric >= baseline  # the best is at least the baseline's
    assert summary["test"] is not None
    assert any(e.tokens > 0 for e in run.experiments[1:])  # the model proposed the later experiments


def test_lessons_go_to_a_real_memory_and_the_next_task_reads_them(sandbox, tmp_path):
    from triloop.graphs.memory_store import StoreMemory
    from triloop.memory.settings import MemorySettings
    from triloop.memory.store import MemoryStore

    with MemoryStore(MemorySettings(dir=tmp_path / "mem")) as store:
        memory = StoreMemory(store)
        first_root = tmp_path / "wine"
        first_task = init_bundled(first_root, "wine")
        forest = baseline_script(first_task).replace(
            "HistGradientBoostingClassifier", "RandomForestClassifier"
        )
        first = MLRun(
            FakeScriptLLM([json.dumps({"idea": "use a random forest"}), fenced(forest)]),
            sandbox,
            first_root,
            first_task,
            memory=memory,
        )
        first.run(budget_minutes=5, max_experiments=2)
        first.remember()
        assert "random forest" in first.lesson()

        second_root = tmp_path / "cancer"
        second_task = init_bundled(second_root, "breast_cancer")
        llm = FakeScriptLLM(
            [json.dumps({"idea": "scale the features"}), fenced(variant(baseline_script(second_task)))]
        )
        second = MLRun(llm, sandbox, second_root, second_task, memory=memory)
        assert "random forest" in second.lessons  # retrieved at the start of the next task
        second.run(budget_minutes=5, max_experiments=2)
        assert "Lessons from earlier tasks" in llm.prompts[0] and "random forest" in llm.prompts[0]
        write_report(second_root, second_task, second.experiments, second.lessons)
        assert "random forest" in (second_root / "report.md").read_text()  # the report says what it was given


def test_what_an_experiment_prints_is_logged_and_shown_to_the_reviewer(sandbox, tmp_path):
    root = tmp_path / "wine"
    task = init_bundled(root, "wine")
    talkative = "import sys\nprint('cv folds: 0.91 0.93')\nprint('ConvergenceWarning: raise max_iter', file=sys.stderr)\n"
    llm = FakeScriptLLM(
        [json.dumps({"idea": "print the cv scores"}), fenced(talkative + baseline_script(task))]
    )
    run = MLRun(llm, sandbox, root, task)
    run.run(budget_minutes=5, max_experiments=2)
    printed = run.experiments[1].output
    assert "cv folds: 0.91" in printed and "ConvergenceWarning" in printed
    assert read_log(root)[1].output == printed
    # the Reviewer reads what the best experiment printed (here made the best: the baseline's tie)
    run.experiments[0] = run.experiments[0].model_copy(update={"output": printed})
    llm.replies += [json.dumps({"idea": "more trees"}), fenced(variant(baseline_script(task)))]
    run.run(budget_minutes=5, max_experiments=3)
    assert "What it printed" in llm.prompts[2] and "cv folds: 0.91" in llm.prompts[2]


def test_the_reviewer_says_which_stored_lesson_an_idea_follows_and_the_report_lists_it(sandbox, tmp_path):
    root = tmp_path / "wine"
    task = init_bundled(root, "wine")
    lesson = "classification data like digits: 'scale features for an SVC' gave 0.98"
    memory = SimpleNamespace(context_for=lambda query, kind: f"- {lesson}")  # a FAKE memory: one lesson
    idea = {"idea": "scale the features and use an SVC", "why": "it helped before", "lesson": lesson}
    llm = FakeScriptLLM([json.dumps(idea), fenced(variant(baseline_script(task)))])
    run = MLRun(llm, sandbox, root, task, memory=memory)
    run.run(budget_minutes=5, max_experiments=2)
    assert lesson in llm.prompts[0] and '"lesson"' in llm.prompts[0]  # given, and asked which it follows
    assert run.experiments[1].lesson == lesson and read_log(root)[1].lesson == lesson
    write_report(root, task, run.experiments, run.lessons)
    assert "Ideas the Reviewer took from them" in (root / "report.md").read_text()
    no_memory = FakeScriptLLM([json.dumps(idea), fenced(variant(baseline_script(task)))])
    MLRun(no_memory, sandbox, tmp_path / "again", init_bundled(tmp_path / "again", "wine")).run(
        budget_minutes=5, max_experiments=2
    )
    assert '"lesson"' not in no_memory.prompts[0]  # without lessons the reply format stays short


def test_a_cited_lesson_counts_only_if_it_was_among_the_stored_lessons():
    from triloop.ml.context import cited as _cited

    stored = "Past experiences:\n- classification data like digits: 'use a random forest' gave 0.97 f1_macro"
    assert _cited("classification data like digits: 'use a random forest' gave 0.97", stored)
    assert _cited("'use a random forest' gave 0.97 f1_macro", stored)  # a quoted part of it
    assert _cited("Always experiment with different hyperparameters and features.", stored) == ""
    assert _cited("", stored) == "" and _cited("random forest", "") == ""
