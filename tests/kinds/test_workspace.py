"""`triloop code --workspace`: edits parsed safely, the project's tests run in the real sandbox, the
loop keeps only rounds that pass more tests. The loop logic uses a scripted FAKE LLM (a fake, named so);
the end-to-end test at the bottom runs the real embedded model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from triloop.agents.base import AgentContext
from triloop.kinds.coding.workspace import (
    WorkspaceError,
    improve,
    parse_edits,
    project_files,
    run_tests,
    write_changes,
)
from triloop.llm.base import Completion

STATS = "def mean(xs):\n    return sum(xs) / len(xs)\n"
TESTS = (
    "from stats import mean\n\n\ndef test_mean():\n    assert mean([1, 2, 3]) == 2\n\n\n"
    "def test_empty():\n    assert mean([]) == 0\n"
)
FIXED = "def mean(xs):\n    return sum(xs) / len(xs) if xs else 0\n"


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "stats.py").write_text(STATS)
    (root / "tests" / "test_stats.py").write_text(TESTS)
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "junk.py").write_text("x = 1\n")
    return root


def test_project_files_skip_environments_and_refuse_what_cannot_work(tmp_path):
    root = project(tmp_path)
    assert sorted(project_files(root)) == ["stats.py", "tests/test_stats.py"]
    with pytest.raises(WorkspaceError, match="not a directory"):
        project_files(tmp_path / "missing")
    (root / "big.py").write_text("x = 1\n" * 5000)
    with pytest.raises(WorkspaceError, match="fit the prompt"):
        project_files(root)


def test_edits_are_headed_blocks_that_parse_and_stay_inside():
    reply = f"Here:\n### stats.py\n```python\n{FIXED}```\n### `notes.py`\n```python\ndef broken(:\n```\n"
    assert parse_edits(reply) == {"stats.py": FIXED}  # the block that does not parse is no edit
    with pytest.raises(WorkspaceError, match="outside the workspace"):
        parse_edits("### ../evil.py\n```python\nx = 1\n```")


def test_write_changes_stays_inside(tmp_path):
    root = project(tmp_path)
    write_changes(root, {"stats.py": FIXED})
    assert (root / "stats.py").read_text() == FIXED
    with pytest.raises(WorkspaceError):
        write_changes(root, {"../outside.py": "x = 1\n"})
    assert not (tmp_path / "outside.py").exists()


def test_project_tests_run_in_the_sandbox_on_a_copy(sandbox, tmp_path):
    root = project(tmp_path)
    files = project_files(root)
    failing = run_tests(sandbox, files)
    assert not failing.passed and failing.passed_count == 1 and "test_empty" in failing.output
    passing = run_tests(sandbox, {**files, "stats.py": FIXED})
    assert passing.passed and passing.passed_count == 2
    assert (root / "stats.py").read_text() == STATS  # the user's files were not touched


FIXTURE_TESTS = (
    "import pytest\nfrom stats import mean\n\n\n@pytest.fixture\ndef numbers(tmp_path):\n"
    "    (tmp_path / 'n.txt').write_text('1 2 3')\n    return [int(x) for x in (tmp_path / 'n.txt').read_text().split()]\n\n\n"
    "@pytest.mark.parametrize('xs,want', [([2], 2), ([], 0)])\ndef test_mean(xs, want):\n    assert mean(xs) == want\n\n\n"
    "def test_from_a_file(numbers):\n    assert mean(numbers) == 2\n"
)


def test_a_project_with_pytest_fixtures_runs_under_pytest_in_the_sandbox(sandbox, tmp_path):
    """Real projects use fixtures and parametrize, which only pytest runs (docker's image has it)."""
    if not sandbox.execute("import pytest").ok:
        pytest.skip(f"the {sandbox.name} sandbox has no pytest")
    files = {"stats.py": STATS, "tests/test_stats.py": FIXTURE_TESTS}
    failing = run_tests(sandbox, files)
    assert not failing.passed and failing.passed_count == 2 and "test_mean[xs1-0]" in failing.output
    passing = run_tests(sandbox, {**files, "stats.py": FIXED})
    assert passing.passed and passing.passed_count == 3


class FakeLLM:
    """A scripted FAKE model for the loop logic: replies in order, records the prompts."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []

    def complete(self, messages, **kwargs) -> Completion:
        self.prompts.append(messages[-1]["content"])
        return Completion(text=self.replies.pop(0), prompt_tokens=10, completion_tokens=5)


def test_the_loop_reviews_refines_and_keeps_only_better_rounds(sandbox, tmp_path):
    root = project(tmp_path)
    worse = "### stats.py\n```python\ndef mean(xs):\n    raise ValueError\n```"
    wrong = "### stats.py\n```python\ndef mean(xs):\n    return sum(xs) / len(xs) if xs else 1\n```"
    llm = FakeLLM([wrong, "mean is off by one", worse, "it raises", f"### stats.py\n```python\n{FIXED}```"])
    result = improve(AgentContext(llm=llm), sandbox, root, "mean([]) must be 0", max_rounds=3)
    assert result.tests.passed and result.rounds == 2
    assert (
        result.changed == {"stats.py": FIXED} and "+    return sum(xs) / len(xs) if xs else 0" in result.diff
    )
    assert "test_empty" in llm.prompts[0]  # the Solver saw the failing test before editing
    assert "mean is off by one" in llm.prompts[2]  # the Refiner saw the review
    # the worse round (raises) was not kept: the second review saw the best code so far
    assert "if xs else 1" in llm.prompts[3] and "raise ValueError" not in llm.prompts[3]


@pytest.mark.model
@pytest.mark.slow
def test_code_workspace_end_to_end_with_the_embedded_model(tmp_path):
    root = project(tmp_path)
    env = {**os.environ, "TRILOOP_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "triloop.cli",
            "code",
            "Make mean() of an empty list return 0.",
            "--workspace",
            str(root),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tests pass" in proc.stdout and "+++ b/stats.py" in proc.stdout
    namespace: dict = {}
    exec((root / "stats.py").read_text(), namespace)
    assert namespace["mean"]([]) == 0 and namespace["mean"]([1, 2, 3]) == 2
    assert (root / "tests" / "test_stats.py").read_text() == TESTS


def test_a_draft_that_loses_passing_tests_is_not_kept(sandbox, tmp_path):
    root = project(tmp_path)
    llm = FakeLLM(["### stats.py\n```python\ndef mean(xs):\n    raise ValueError\n```"])
    result = improve(AgentContext(llm=llm), sandbox, root, "mean([]) must be 0", max_rounds=0)
    assert result.changed == {} and result.diff == ""
    assert not result.tests.passed and result.tests.passed_count == 1  # the original's own count
