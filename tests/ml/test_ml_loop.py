"""The experiment loop: decisions on a scripted FAKE LLM with the REAL sandbox (debug after a failure,
leaks refused, resume from the log, lessons recalled by data profile and tried first), and one run end
to end on the REAL embedded model (0.5B)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("pandas")

from tests.ml.fakes import LINEAR, FakeScriptLLM, fenced, variant
from triloop.ml.baseline import baseline_script
from triloop.ml.datasets import init_dataset
from triloop.ml.experiments import LOG, Experiment, read_log
from triloop.ml.hints import READS_FILES
from triloop.ml.leaks import leak_of
from triloop.ml.loop import TRANSFERRED, MLRun, script_of
from triloop.ml.report import write_report


def forest(task) -> str:
    return baseline_script(task).replace("HistGradientBoostingClassifier", "RandomForestClassifier")


def test_a_failed_experiment_is_debugged_from_its_error_and_leaks_are_refused(sandbox, tmp_path):
    task = init_dataset(tmp_path / "wine", "wine")
    llm = FakeScriptLLM(
        [
            json.dumps({"idea": "try a random forest", "why": "robust on small data"}),
            fenced("def build_model():\n    raise ValueError('bad shape')\n"),  # improve -> fails
            fenced(forest(task)),  # debug -> works
            json.dumps({"idea": "peek at the answers", "why": "..."}),
            fenced("print(open('.triloop/test_labels.csv').read())\n"),  # a leak: not run
        ]
    )
    run = MLRun(llm, sandbox, tmp_path / "wine", task, drafts=False)
    run.run(budget_minutes=10, max_experiments=4)
    got = [(e.action, e.parent, e.status) for e in run.experiments]
    assert got[:3] == [("baseline", None, "ok"), ("improve", 0, "failed"), ("debug", 1, "ok")]
    assert got[3][2] == "leak" and run.experiments[3].detail.startswith("not run")
    assert "bad shape" in llm.prompts[2]  # the debug prompt carries the error
    review = llm.prompts[0]
    assert ", train " in review and "minutes left" in review and " +- " in review  # overfit, time, noise
    assert "build_model()" in review and "text:" not in review  # the contract; wine has no text columns
    assert len(run.experiments[2].folds) == task.folds


def test_a_script_that_reads_the_data_itself_finds_no_files_and_is_told_why(sandbox, tmp_path):
    """Rows reach a script only through fit(X, y): one that reads train.csv and fits on it (where a
    target encoding or ``concat([train, valid])`` would leak) fails, and the fix is told the contract."""
    task = init_dataset(tmp_path / "credit", "credit")
    reader = "import pandas as pd\ndata = pd.read_csv('data/train.csv')\n" + baseline_script(task)
    llm = FakeScriptLLM(
        [json.dumps({"idea": "read the data"}), fenced(reader), fenced(variant(baseline_script(task)))]
    )
    run = MLRun(llm, sandbox, tmp_path / "credit", task, drafts=False)
    run.run(budget_minutes=10, max_experiments=3)
    assert run.experiments[1].status == "failed" and "No such file" in run.experiments[1].detail
    assert READS_FILES in llm.prompts[2] and run.experiments[2].status == "ok"
    assert "Home (" in llm.prompts[0] and "blank" in llm.prompts[0]  # text columns and blanks, summarised
    assert "2 classes, smallest 28%" in llm.prompts[0]  # the imbalance f1_macro punishes


def test_resume_goes_on_from_the_log_and_the_report_is_written(sandbox, tmp_path):
    root = tmp_path / "wine"
    task = init_dataset(root, "wine")
    MLRun(FakeScriptLLM([]), sandbox, root, task).run(budget_minutes=5, max_experiments=1)  # the baseline
    assert len(read_log(root)) == 1
    llm = FakeScriptLLM([json.dumps({"idea": "random forest"}), fenced(variant(baseline_script(task)))])
    again = MLRun(llm, sandbox, root, task, drafts=False)
    again.run(budget_minutes=5, max_experiments=2)
    assert [e.id for e in read_log(root)] == [0, 1] and len(llm.prompts) == 2
    summary = write_report(root, task, again.experiments)
    assert summary["best"] == 0 and summary["test"] > 0.8 and summary["cv"] > 0.8  # a tie is no gain
    assert (root / "best.py").is_file() and (root / "metric.png").stat().st_size > 5000
    report = (root / "report.md").read_text()
    assert "scored once" in report and "+-" in report and "within noise" not in report.split("## Tree")[1]


def test_scripts_and_leaks_are_read_from_replies():
    assert script_of("```python\nx = 1\n```") == "x = 1\n"
    assert script_of("```python\nx = (\n```") is None
    assert leak_of("open('.triloop/test_labels.csv')") and leak_of("pd.read_csv('test_labels.csv')")
    assert leak_of("model.fit(X_latest, y)") is None and leak_of("validation_fraction=0.2") is None


def _logged(i: int, parent, action: str, idea: str, folds: list[float], status: str = "ok") -> Experiment:
    metric = sum(folds) / len(folds) if folds else None
    return Experiment(
        id=i,
        parent=parent,
        action=action,
        idea=idea,
        code_path="x",
        status=status,
        metric=metric,
        folds=folds,
    )


def test_a_lesson_says_what_beat_the_baseline_by_more_than_noise_and_what_did_not(tmp_path):
    task = init_dataset(tmp_path / "credit", "credit")
    run = MLRun(FakeScriptLLM([]), None, tmp_path / "credit", task)
    base = [0.70, 0.74, 0.66, 0.72, 0.68]
    run.experiments = [
        _logged(0, None, "baseline", "baseline", base),
        _logged(1, 0, "improve", "class weights", [], "failed"),
        _logged(2, 1, "debug", "fix: TypeError: ...", [b + 0.03 for b in base]),
        _logged(
            3,
            2,
            "improve",
            "more trees",
            [b + d for b, d in zip(base, [0.02, -0.02, 0.01, -0.01, 0.0], strict=True)],
        ),
    ]
    lesson = run.lesson()
    assert lesson.startswith("credit (classification, 3,563 rows")  # the data's shape
    assert "Worked: 'default gradient boosting > class weights' (+0.0300" in lesson and "fix:" not in lesson
    assert "No gain: 'more trees' (-0.0300)" in lesson  # against #2, the experiment it changed


@pytest.mark.model
@pytest.mark.slow
def test_ml_run_end_to_end_on_the_embedded_model(sandbox, local_llm_small, tmp_path):
    root = tmp_path / "credit"
    task = init_dataset(root, "credit")  # a real table: text columns and blank cells
    run = MLRun(local_llm_small, sandbox, root, task)
    best = run.run(budget_minutes=30, max_experiments=5)  # the experiment limit ends it, not the clock
    summary = write_report(root, task, run.experiments)
    assert len(read_log(root)) == 5 and (root / LOG).is_file()
    assert [e.action for e in run.experiments[:4]] == ["baseline", "draft", "draft", "draft"]
    assert (root / "report.md").is_file() and (root / "metric.png").is_file() and (root / "best.py").is_file()
    assert best is not None and len(best.folds) == task.folds and summary["test"] is not None
    assert run.experiments[4].tokens > 0  # after the portfolio's drafts, the model proposed the next one


def _remembered(sandbox, memory, root, name: str, replies: list[str]) -> MLRun:
    task = init_dataset(root, name)
    run = MLRun(FakeScriptLLM(replies), sandbox, root, task, memory=memory, drafts=False)
    run.run(budget_minutes=5, max_experiments=1 + len(replies) // 2)
    run.remember()
    return run


def test_lessons_are_recalled_by_data_profile_and_their_winning_ideas_tried_first(sandbox, tmp_path):
    from triloop.graphs.memory_store import StoreMemory
    from triloop.memory.settings import MemorySettings
    from triloop.memory.store import MemoryStore

    idea = "one-hot encode the text columns, scale the numbers and use logistic regression"
    with MemoryStore(MemorySettings(dir=tmp_path / "mem")) as store:
        memory = StoreMemory(store)
        first = _remembered(
            sandbox, memory, tmp_path / "attrition", "attrition", [json.dumps({"idea": idea}), fenced(LINEAR)]
        )
        assert f"Worked: 'default gradient boosting > {idea}'" in first.lesson()  # the family it changed

        # another imbalanced table with text columns: the lesson is recalled and its idea tried first
        churn_root = tmp_path / "churn"
        churn = init_dataset(churn_root, "churn")
        llm = FakeScriptLLM([fenced(LINEAR)])
        second = MLRun(llm, sandbox, churn_root, churn, memory=memory, drafts=False)
        assert [r.task for r in second.recalled] == ["attrition"] and second.recalled[0].worked == [
            f"default gradient boosting > {idea}"
        ]
        second.run(budget_minutes=5, max_experiments=2)
        tried = second.experiments[1]
        assert tried.idea == idea and tried.lesson == "L1" and tried.why.startswith(TRANSFERRED)
        assert len(llm.prompts) == 1 and idea in llm.prompts[0]  # no review call: the lesson named it
        write_report(churn_root, churn, second.experiments, second.recalled)
        report = (churn_root / "report.md").read_text()
        assert "L1 (from attrition" in report and f"#1 (L1) {idea} ->" in report

        # a regression table has another shape: nothing is recalled
        wage = init_dataset(tmp_path / "wage", "wage")
        assert MLRun(FakeScriptLLM([]), sandbox, tmp_path / "wage", wage, memory=memory).recalled == []


def test_the_reviewer_names_the_lesson_an_idea_follows_and_only_given_ones_count(sandbox, tmp_path):
    from triloop.memory.records import ExperienceRecord

    root = tmp_path / "credit"
    task = init_dataset(root, "credit")
    profile = {
        "name": "hmda",
        "problem": "classification",
        "rows": 1900,
        "columns": 13,
        "text_columns": 7,
        "classes": 2,
        "minority": 0.12,
    }
    record = ExperienceRecord(
        task="ML task hmda",
        task_kind="ml",
        outcome="partial",
        lesson="hmda: nothing beat it.",
        profile=profile,
    )

    class FakeMemory:  # a FAKE memory with one stored lesson and no winning idea
        def experiences(self, query, kind, k=8):
            return [record]

    reply = {"idea": "scale the features", "why": "it helped before", "lesson": "L1"}
    llm = FakeScriptLLM([json.dumps(reply), fenced(variant(baseline_script(task)))])
    run = MLRun(llm, sandbox, root, task, memory=FakeMemory(), drafts=False)
    run.run(budget_minutes=5, max_experiments=2)
    assert "L1 (from hmda" in llm.prompts[0] and '"lesson"' in llm.prompts[0]
    assert run.experiments[1].lesson == "L1" and read_log(root)[1].lesson == "L1"
    from triloop.ml.context import cited

    assert (
        cited("L1: scale", ["L1"]) == "L1"
        and cited("L2", ["L1"]) == ""
        and cited("always tune", ["L1"]) == ""
    )
    no_memory = FakeScriptLLM([json.dumps(reply), fenced(variant(baseline_script(task)))])
    MLRun(
        no_memory, sandbox, tmp_path / "again", init_dataset(tmp_path / "again", "credit"), drafts=False
    ).run(budget_minutes=5, max_experiments=2)
    assert '"lesson"' not in no_memory.prompts[0]  # without lessons the reply format stays short


def test_what_an_experiment_prints_is_logged_and_shown_to_the_reviewer(sandbox, tmp_path):
    root = tmp_path / "wine"
    task = init_dataset(root, "wine")
    talkative = "import sys\nprint('hello from the script')\nprint('ConvergenceWarning: raise max_iter', file=sys.stderr)\n"
    llm = FakeScriptLLM([json.dumps({"idea": "say hello"}), fenced(talkative + baseline_script(task))])
    run = MLRun(llm, sandbox, root, task, drafts=False)
    run.run(budget_minutes=5, max_experiments=2)
    printed = run.experiments[1].output
    assert "hello from the script" in printed and "ConvergenceWarning" in printed
    assert read_log(root)[1].output == printed
    run.experiments[0] = run.experiments[0].model_copy(update={"output": printed})  # as if the best said it
    llm.replies += [json.dumps({"idea": "more trees"}), fenced(variant(baseline_script(task)))]
    run.run(budget_minutes=5, max_experiments=3)
    assert "What it printed" in llm.prompts[2] and "hello from the script" in llm.prompts[2]


def test_lessons_of_two_tasks_stay_apart_however_alike_their_words(tmp_path):
    from triloop.memory.records import ExperienceRecord
    from triloop.memory.settings import MemorySettings
    from triloop.memory.store import MemoryStore

    def lesson(name: str) -> ExperienceRecord:
        profile = {"name": name, "problem": "classification", "rows": 1000, "columns": 9}
        return ExperienceRecord(
            task="ML task: predict churn", task_kind="ml", outcome="partial", lesson="x", profile=profile
        )

    with MemoryStore(MemorySettings(dir=tmp_path / "mem")) as store:
        assert not store.add_experience(lesson("a")).merged
        assert not store.add_experience(lesson("b")).merged  # the same words, another task
        assert store.add_experience(lesson("a")).merged  # the same task again is folded in


def test_an_idea_is_read_from_a_reply_cut_off_inside_its_json():
    from triloop.ml.loop import _idea

    assert (
        _idea('```json\n{"idea": "use balanced class weights", "why": "the minor').idea
        == "use balanced class weights"
    )
    assert _idea("```json\n{\n").idea == "tune the model's hyperparameters"  # no fence or brace as the idea
    assert _idea("Use a random forest.").idea == "Use a random forest."


def test_a_program_that_ran_before_is_asked_for_again(sandbox, tmp_path):
    """The 1.5B wrote the same random forest four times under four wordings of the idea."""
    task = init_dataset(tmp_path / "wine", "wine")
    llm = FakeScriptLLM(
        [
            json.dumps({"idea": "use a random forest"}),
            fenced(forest(task)),
            json.dumps({"idea": "switch to a RandomForestClassifier"}),  # other words, same program
            fenced("# a forest\n" + forest(task)),
            fenced(variant(forest(task))),  # asked again: something else
        ]
    )
    run = MLRun(llm, sandbox, tmp_path / "wine", task, drafts=False)
    run.run(budget_minutes=10, max_experiments=3)
    assert "same program as experiment 1" in llm.prompts[4] and not llm.replies
    assert "a variant" in (tmp_path / "wine" / run.experiments[2].code_path).read_text()


def test_other_model_families_are_drafted_beside_the_baseline_before_the_reviewer_is_asked(sandbox, tmp_path):
    """The 1.5B only tuned the baseline's model, and could not write a linear model on one-hot codes
    from words; the portfolio's scripts (ml.drafts) run first, and the search goes on from the best."""
    from triloop.ml.drafts import DRAFTED

    root = tmp_path / "attrition"
    task = init_dataset(root, "attrition")  # 16 % leave, scored by f1_macro: class weights come first
    llm = FakeScriptLLM([json.dumps({"idea": "C=0.5"}), fenced(variant(LINEAR))])
    run = MLRun(llm, sandbox, root, task)
    run.run(budget_minutes=10, max_experiments=5)
    drafts = run.experiments[1:4]
    assert [e.idea for e in drafts] == [
        "class weights in the gradient boosting",
        "linear model on one-hot codes",
        "random forest",
    ]
    assert all(e.action == "draft" and e.parent == 0 and e.why == DRAFTED and e.tokens == 0 for e in drafts)
    assert all(e.status == "ok" and len(e.folds) == task.folds for e in drafts)
    assert len(llm.prompts) == 2 and "Reply with JSON" in llm.prompts[0]  # no model call for a draft
    assert "#2 (draft of #0): linear model on one-hot codes -> " in llm.prompts[0]
    assert run.experiments[4].parent == 2  # the linear model won: the Reviewer's change is made to it
    assert "Worked: 'linear model on one-hot codes'" in run.lesson()


def test_a_draft_that_won_on_a_similar_task_runs_first_then_changes_to_its_family(sandbox, tmp_path):
    """A lesson's winning draft runs before the rest of the portfolio; its winning changes are tried on
    the best when the best is of the family they were made to ("C=0.1" helped a linear model there;
    "more trees" helped gradient boosting, which is not the best here)."""
    from triloop.memory.records import ExperienceRecord
    from triloop.ml.drafts import draft_script

    root = tmp_path / "churn"
    task = init_dataset(root, "churn")
    linear = "linear model on one-hot codes"
    record = ExperienceRecord(
        task="ML task attrition",
        task_kind="ml",
        outcome="solved",
        lesson=f"attrition: Worked: '{linear}' (+0.0600 +- 0.0100, better).",
        answer_summary=f"default gradient boosting > more trees\n{linear}\n{linear} > C=0.1\n{linear} > C=10",
        profile={
            "name": "attrition",
            "problem": "classification",
            "rows": 1176,
            "columns": 30,
            "text_columns": 14,
            "classes": 2,
            "minority": 0.16,
        },
    )

    class FakeMemory:  # a FAKE memory with one stored lesson
        def experiences(self, query, kind, k=8):
            return [record]

    smaller_c = draft_script(linear, task).replace(
        "LogisticRegression(max_iter=2000)", "LogisticRegression(max_iter=2000, C=0.1)"
    )
    llm = FakeScriptLLM([fenced(smaller_c), fenced(smaller_c.replace("C=0.1", "C=10"))])
    run = MLRun(llm, sandbox, root, task, memory=FakeMemory())
    run.run(budget_minutes=5, max_experiments=6)
    first, then = run.experiments[1:3]
    assert (first.action, first.idea, first.lesson, first.tokens) == ("draft", linear, "L1", 0)
    assert then.idea == "class weights in the gradient boosting"  # the rest of the portfolio follows
    changed = run.experiments[4]
    assert (changed.action, changed.idea, changed.lesson, changed.parent) == ("improve", "C=0.1", "L1", 1)
    assert "Change it: C=0.1" in llm.prompts[0] and "OneHotEncoder" in llm.prompts[0]
    # the second change is tried too: a transferred draft does not count against TRANSFERS
    assert (run.experiments[5].idea, run.experiments[5].lesson) == ("C=10", "L1") and len(llm.prompts) == 2
    assert "more trees" not in [e.idea for e in run.experiments]  # listed first, but for another family


def test_the_portfolio_follows_the_data_shape_and_skips_what_was_tried(tmp_path):
    from triloop.ml.drafts import DRAFTED, drafts_for
    from triloop.ml.profile import DataProfile

    rare = DataProfile(problem="classification", rows=2000, columns=9, classes=2, minority=0.1)
    assert drafts_for(rare, "f1_macro")[0] == "class weights in the gradient boosting"
    assert "class weights in the gradient boosting" not in drafts_for(rare, "accuracy")  # rows, not classes
    skewed = DataProfile(problem="regression", rows=2000, columns=9, skew=3.2)
    assert "gradient boosting on log(1 + target)" in drafts_for(skewed, "rmse")
    assert "gradient boosting on log(1 + target)" not in drafts_for(
        skewed.model_copy(update={"skew": 0.2}), "rmse"
    )
    below = skewed.model_copy(update={"target_min": -5.0})  # profits, deltas: log1p has no value there
    assert "gradient boosting on log(1 + target)" not in drafts_for(below, "rmse")

    task = init_dataset(tmp_path / "wine", "wine")  # three classes, none rare: no class weights
    run = MLRun(FakeScriptLLM([]), None, tmp_path / "wine", task)
    assert run._draft() == ("linear model on one-hot codes", "", DRAFTED)
    run.experiments = [_logged(0, None, "baseline", "baseline", [0.9] * 5)]
    run.experiments.append(_logged(1, 0, "draft", "linear model on one-hot codes", [0.95] * 5))
    assert run._draft()[0] == "random forest"  # this run tried the linear model already
    assert MLRun(FakeScriptLLM([]), None, tmp_path / "wine", task, drafts=False)._draft() is None


def test_every_draft_runs_on_a_table_of_its_kind(sandbox, tmp_path):
    """The portfolio's scripts on real tables with text columns and blanks (credit) and a skewed
    regression target (wage): each cross-validates without an error."""
    from triloop.ml.drafts import DRAFTS, draft_script
    from triloop.ml.harness import run_experiment

    for name, kinds in (
        (
            "credit",
            ["class weights in the gradient boosting", "linear model on one-hot codes", "random forest"],
        ),
        ("wage", ["linear model on one-hot codes", "gradient boosting on log(1 + target)", "random forest"]),
    ):
        task = init_dataset(tmp_path / name, name)
        for draft in kinds:
            assert draft in DRAFTS
            got = run_experiment(sandbox, tmp_path / name, task, draft_script(draft, task))
            assert got.status == "ok" and len(got.folds) == task.folds, (name, draft, got.detail[-400:])


def test_a_lesson_names_the_family_each_change_was_made_to():
    from triloop.ml.lessons import BASELINE_FAMILY, family_of, split_carried

    log = [
        _logged(0, None, "baseline", "baseline", [0.7] * 5),
        _logged(1, 0, "draft", "linear model on one-hot codes", [0.75] * 5),
        _logged(2, 1, "improve", "C=0.1", [], "failed"),
        _logged(3, 2, "debug", "fix: ...", [0.76] * 5),
        _logged(4, 0, "improve", "more trees", [0.71] * 5),
    ]
    assert family_of(log[3], log) == "linear model on one-hot codes"  # a fix of a change to the draft
    assert family_of(log[4], log) == BASELINE_FAMILY
    assert split_carried("linear model on one-hot codes > C=0.1") == (
        "linear model on one-hot codes",
        "C=0.1",
    )
    assert split_carried("random forest") == (None, "random forest")
    # an older lesson names no family, and its idea may hold a " > " of its own
    assert split_carried("drop rows where income > 1e6") == (None, "drop rows where income > 1e6")
