"""`triloop bench repos`'s harness on a small project packed as a pinned sdist, with SCRIPTED strategies
(fakes, no model): a right patch, a wrong one, one that breaks another test, one that makes a test
hang, one that edits the tests. The judge runs the whole suite in the REAL sandbox."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from rich.console import Console

from triloop.bench.repo_tasks import RepoProject, RepoTask
from triloop.bench.repos import read_records, run_repo_bench, spec_of, summarize
from triloop.bench.repos_report import report
from triloop.repo.loop import RepoOptions
from triloop.repo.result import Attempt, RepoResult

CALC = "def add(a, b):\n    return a + b\n\n\ndef clamp(x, low, high):\n    return max(low, min(x, high))\n"
TESTS = (
    "from calc import add, clamp\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_clamp():\n    assert clamp(5, 0, 3) == 3\n"
)


def pinned_project(cache: Path) -> RepoProject:
    src = cache / "src" / "calc-1.0"
    (src / "tests").mkdir(parents=True)
    (src / "calc.py").write_text(CALC)
    (src / "tests" / "test_calc.py").write_text(TESTS)
    sdist = cache / "calc-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        tar.add(src, arcname="calc-1.0")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    return RepoProject(
        name="calc",
        version="1.0",
        sdist=sdist.name,
        sha256=digest,
        root="calc-1.0",
        tests=["tests"],
        python_lines=6,
        test_lines=9,
    )


TASK = RepoTask(
    id="calc-add-operator",
    project="calc",
    path="calc.py",
    line=2,
    original="    return a + b",
    mutated="    return a - b",
    kind="operator",
    failing_tests=["tests/test_calc.py::test_add"],
    phrasing="test",
)


def scripted(new_calc: str | None, new_tests: str | None = None):
    """A FAKE strategy that returns one fixed change (and checks what the harness handed it)."""

    def fix(ctx, sandbox, root, spec, options: RepoOptions) -> RepoResult:
        assert "a - b" in (root / "calc.py").read_text()  # it works on the mutated copy
        assert options.test_args == ["tests"] and options.pytest_options == ["-o", "addopts="]
        files = {"calc.py": (root / "calc.py").read_text()}
        change = {"calc.py": new_calc} if new_calc else {}
        if new_tests:
            change["tests/test_calc.py"] = new_tests
        attempt = Attempt(source="script", files=change)
        return RepoResult.of(
            files,
            attempt if change else None,
            [attempt],
            targets=TASK.failing_tests,
            reproduced=False,
            reproduction="",
            locations=[],
            calls=[],
            baseline_failing=TASK.failing_tests,
        )

    return fix, RepoOptions


REGISTRY = {
    "right": scripted(CALC),
    "wrong": scripted(CALC.replace("a + b", "a * b")),
    "breaking": scripted(CALC.replace("max(low, min(x, high))", "x")),
    "hanging": scripted(CALC.replace("return a + b", "while True:\n        pass")),
    "edits-tests": scripted(None, TESTS.replace("== 5", "== -1")),
}


@pytest.fixture
def pinned(tmp_path) -> tuple[Path, RepoProject]:
    """(the sdist cache, the project pinned in it)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    return cache, pinned_project(cache)


def test_the_harness_judges_right_wrong_breaking_hanging_and_test_editing_changes(sandbox, tmp_path, pinned):
    cache, project = pinned
    out = tmp_path / "out"
    records = list(
        run_repo_bench(
            None,
            sandbox,
            [TASK],
            {"calc": project},
            list(REGISTRY),
            out,
            cache,
            registry=REGISTRY,
            judge_timeout=15,
        )
    )
    got = {r.strategy: r for r in records}
    assert got["right"].resolved and got["right"].fixed == 1 and not got["right"].broken
    assert not got["wrong"].resolved and got["wrong"].fixed == 0
    assert not got["breaking"].resolved and got["breaking"].broken == ["tests/test_calc.py::test_clamp"]
    assert not got["hanging"].resolved and got["hanging"].broken == ["tests/test_calc.py::test_clamp"]
    assert not got["edits-tests"].resolved  # the judge runs the project's own tests, never edited ones
    assert all(not r.error for r in records) and "return a + b" in got["right"].diff
    assert got["right"].tried == ["script: 0/1 targets"] and got["right"].targets == TASK.failing_tests
    assert got["edits-tests"].tried == ["script: 0/1 targets"]
    # Resumable: nothing is run twice; the summary compares on shared tasks.
    assert (
        list(
            run_repo_bench(
                None, sandbox, [TASK], {"calc": project}, list(REGISTRY), out, cache, registry=REGISTRY
            )
        )
        == []
    )
    assert len(read_records(out)) == 5
    rows = {row.strategy: row for row in summarize(read_records(out))}
    assert rows["right"].resolved == 1 and rows["breaking"].broken_tasks == 1
    assert rows["right"].labels == {"unverified": (1, 1)}
    report(out, Console(file=io.StringIO(), width=200))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["projects"] == [
        {"project": "calc", "python_lines": 0, "tasks": 1, "resolved": "0 / 0 / 0", "max_prompt_tokens": 0}
    ]  # calc is no packaged project; the scripted strategies are none of the three


def test_a_strategy_that_raises_is_recorded_and_the_run_goes_on(sandbox, tmp_path, pinned):
    cache, project = pinned

    def boom(*args):
        raise RuntimeError("model server went away")

    registry = {"boom": (boom, RepoOptions), "right": REGISTRY["right"]}
    records = list(
        run_repo_bench(
            None,
            sandbox,
            [TASK],
            {"calc": project},
            ["boom", "right"],
            tmp_path / "o",
            cache,
            registry=registry,
            judge_timeout=15,
        )
    )
    assert records[0].error == "RuntimeError: model server went away" and records[1].resolved
    # --retry-errors: the rerun's record is the one the summary counts
    registry["boom"] = REGISTRY["right"]
    rerun = list(
        run_repo_bench(
            None,
            sandbox,
            [TASK],
            {"calc": project},
            ["boom"],
            tmp_path / "o",
            cache,
            retry_errors=True,
            registry=registry,
            judge_timeout=15,
        )
    )
    assert rerun[0].resolved
    assert [(r.strategy, r.resolved, r.errors) for r in summarize(read_records(tmp_path / "o"))] == [
        ("boom", 1, 0),
        ("right", 1, 0),
    ]


def test_the_task_words_name_the_tests_or_give_the_report_only():
    assert "tests/test_calc.py::test_add" in spec_of(TASK)
    issue = TASK.model_copy(update={"phrasing": "issue", "issue": "add(2, 3) gives -1, expected 5."})
    assert spec_of(issue) == "add(2, 3) gives -1, expected 5."
