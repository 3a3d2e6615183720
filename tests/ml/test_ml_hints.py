"""API hints from the REAL sandbox for a failed experiment, and the debug step that uses them
(a scripted FAKE LLM writes the scripts; the experiments and the lookups run in the REAL sandbox)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("sklearn")

from tests.ml.fakes import FakeScriptLLM, fenced, variant
from triloop.ml.baseline import baseline_script
from triloop.ml.datasets import init_dataset
from triloop.ml.hints import _parse, api_hint, installed_libraries
from triloop.ml.loop import MLRun, same_program

SCRIPT = "from sklearn.ensemble import HistGradientBoostingClassifier\nimport numpy as np\n"
KWARG = (
    "TypeError: HistGradientBoostingClassifier.__init__() got an unexpected keyword argument 'n_estimators'"
)


def test_errors_that_name_a_wrong_api_are_recognised_and_others_are_not():
    assert _parse(f"Traceback ...\n{KWARG}\n") == ("kwarg", "HistGradientBoostingClassifier", "n_estimators")
    assert _parse("TypeError: train_test_split() got an unexpected keyword argument 'seed'") == (
        "kwarg",
        "train_test_split",
        "seed",
    )
    assert _parse("ImportError: cannot import name 'XGBoost' from 'sklearn.ensemble' (/x.py)") == (
        "missing",
        "sklearn.ensemble",
        "XGBoost",
    )
    assert _parse("AttributeError: module 'numpy' has no attribute 'float'") == ("missing", "numpy", "float")
    assert _parse("ValueError: could not convert string to float: 'a'") is None


def test_a_wrong_keyword_gets_the_parameters_the_installed_class_accepts(sandbox):
    hint = api_hint(sandbox, SCRIPT, KWARG)
    assert "`n_estimators`" in hint and "max_iter" in hint and "learning_rate" in hint


def test_a_misspelt_name_gets_the_names_the_module_has(sandbox):
    hint = api_hint(sandbox, SCRIPT, "AttributeError: module 'sklearn.metrics' has no attribute 'f1score'")
    assert "f1_score" in hint
    hint = api_hint(
        sandbox, "", "ImportError: cannot import name 'RandomForestClassifer' from 'sklearn.ensemble'"
    )
    assert "RandomForestClassifier" in hint


def test_no_hint_for_other_errors_or_names_that_cannot_be_resolved(sandbox):
    assert api_hint(sandbox, SCRIPT, "ValueError: bad shape") == ""
    assert api_hint(sandbox, SCRIPT, "TypeError: fit() got an unexpected keyword argument 'epochs'") == ""


def test_same_program_ignores_comments_and_layout():
    assert same_program("x = 1  # one\n", "x=1\n\n")
    assert not same_program("x = 1\n", "x = 2\n")


def test_the_debug_step_gets_the_hint_and_an_unchanged_fix_is_asked_again(sandbox, tmp_path):
    task = init_dataset(tmp_path / "wine", "wine")
    base = baseline_script(task)
    wrong = base.replace("random_state=0", "n_estimators=50, random_state=0")
    assert wrong != base
    llm = FakeScriptLLM(
        [
            json.dumps({"idea": "more trees", "why": "..."}),
            fenced(wrong),  # improve -> TypeError
            fenced(wrong.replace("n_estimators=50", "n_estimators=50 ")),  # the same program again
            fenced(base.replace("random_state=0", "max_iter=50, random_state=0")),  # asked again: fixed
            json.dumps({"idea": "More trees!", "why": "..."}),  # a repeat: asked again
            json.dumps({"idea": "a smaller learning rate", "why": "..."}),
            fenced(base.replace("random_state=0", "learning_rate=0.05, random_state=0")),
        ]
    )
    run = MLRun(llm, sandbox, tmp_path / "wine", task, drafts=False)
    run.run(budget_minutes=10, max_experiments=4)
    assert [(e.action, e.status) for e in run.experiments] == [
        ("baseline", "ok"),
        ("improve", "failed"),
        ("debug", "ok"),
        ("improve", "ok"),
    ]
    assert run.experiments[3].idea == "a smaller learning rate"
    # the Reviewer sees the idea with where its fixes ended, and the sandbox's API note stays
    assert "#1 (improve of #0): more trees -> " in llm.prompts[4] and "after 1 fix (#2)" in llm.prompts[4]
    assert "API notes" in llm.prompts[4] and "max_iter" in llm.prompts[6]
    assert 'repeated an idea tried already: "more trees"' in llm.prompts[5]
    assert "max_iter" in llm.prompts[2] and "has no parameter `n_estimators`" in llm.prompts[2]
    assert "unchanged" in llm.prompts[3] and not llm.replies
    assert "Python libraries: numpy, pandas" in llm.prompts[0]  # the brief names what is installed


def test_a_missing_module_is_answered_with_the_libraries_the_sandbox_has(sandbox):
    installed = installed_libraries(sandbox)
    assert {"numpy", "pandas", "sklearn"} <= set(installed)
    hint = api_hint(sandbox, "", "ModuleNotFoundError: No module named 'no_such_lib'", installed=installed)
    assert "`no_such_lib` is not installed" in hint and "sklearn" in hint


def test_a_module_path_that_does_not_exist_gets_its_parent_modules_names(sandbox):
    error = "ModuleNotFoundError: No module named 'sklearn.linear_models'"
    hint = api_hint(sandbox, "", error, installed=installed_libraries(sandbox))
    assert "`sklearn` has no `linear_models`" in hint and "linear_model" in hint


def test_a_future_import_in_the_script_does_not_break_the_lookup(sandbox):
    hint = api_hint(sandbox, "from __future__ import annotations\n" + SCRIPT, KWARG)
    assert "max_iter" in hint


def test_api_notes_are_stored_with_the_lesson_and_start_the_next_task(sandbox, tmp_path):
    from triloop.graphs.memory_store import StoreMemory
    from triloop.memory.settings import MemorySettings
    from triloop.memory.store import MemoryStore

    with MemoryStore(MemorySettings(dir=tmp_path / "mem")) as store:  # a REAL Chroma store
        memory = StoreMemory(store)
        task = init_dataset(tmp_path / "wine", "wine")
        base = baseline_script(task)
        llm = FakeScriptLLM(
            [
                json.dumps({"idea": "more trees"}),
                fenced(base.replace("random_state=0", "n_estimators=50, random_state=0")),
                fenced(base.replace("random_state=0", "max_iter=50, random_state=0")),
            ]
        )
        first = MLRun(llm, sandbox, tmp_path / "wine", task, memory=memory, drafts=False)
        first.run(budget_minutes=5, max_experiments=3)
        first.remember()

        second_task = init_dataset(tmp_path / "wine2", "wine")
        llm2 = FakeScriptLLM([json.dumps({"idea": "a smaller learning rate"}), fenced(variant(base))])
        second = MLRun(llm2, sandbox, tmp_path / "wine2", second_task, memory=memory, drafts=False)
        second.run(budget_minutes=5, max_experiments=2)
        # the next task's every prompt starts with what the sandbox said in the first one
        assert "API notes" in llm2.prompts[0] and "no parameter `n_estimators`" in llm2.prompts[1]


def test_a_column_selector_after_the_first_step_is_explained(sandbox, tmp_path):
    """The 1.5B stacks ColumnTransformers; the second one gets an array and its selector fails."""
    from triloop.ml.datasets import init_dataset
    from triloop.ml.harness import run_experiment
    from triloop.ml.hints import COLUMNS_LOST

    stacked = """from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_model():
    first = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include=object)), remainder="passthrough")
    second = make_column_transformer((StandardScaler(), make_column_selector(dtype_exclude=object)))
    return make_pipeline(first, second, LogisticRegression())
"""
    root = tmp_path / "titanic"
    task = init_dataset(root, "titanic")
    run = run_experiment(sandbox, root, task, stacked)
    assert run.status == "failed"
    assert api_hint(sandbox, stacked, run.detail) == COLUMNS_LOST
