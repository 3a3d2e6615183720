"""The repository loop's logic with a scripted FAKE LLM (a fake, named so) and the REAL sandbox: drafts
chosen by tests with the regression guard, a block repaired once, a reproduction test written from a
report and checked to fail first, review -> refine from the code the attempt left. The end-to-end
tests at the bottom run the real embedded model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from tests.repo.test_repo_parts import SHOP, write
from triloop.agents.base import AgentContext
from triloop.llm.base import Completion, Role
from triloop.repo.loop import REPRO_FILE, RepoOptions, choose, fix_repo
from triloop.repo.result import Attempt

FIXED = "    cut = price * percent / 100\n"
RIGHT = "### shop/prices.py\n```python\ndef discount(price, percent):\n    cut = price * percent / 100\n    return rounded(price - cut)\n```"
WRONG = "### shop/prices.py\n```python\ndef discount(price, percent):\n    return rounded(price)\n```"
BREAKS = (  # fixes the discounted total and breaks the plain one
    "shop/cart.py\n<<<<<<< SEARCH\n        return sum((discount(p, percent) if percent else p) * q for p, q in self.items)\n"
    "=======\n        return 18\n>>>>>>> REPLACE\n"
)


class FakeLLM:
    """Replies from a script, in order; records every prompt."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []

    def complete(self, messages, **kwargs) -> Completion:
        assert kwargs["role"] in get_args(Role), kwargs["role"]  # the roles the real client knows
        self.prompts.append(messages[-1]["content"])
        return Completion(text=self.replies.pop(0), prompt_tokens=100, completion_tokens=20)


def test_a_draft_that_breaks_a_passing_test_is_never_chosen_and_the_right_one_is(sandbox, tmp_path):
    root = write(tmp_path, SHOP)
    llm = FakeLLM([BREAKS, RIGHT])
    result = fix_repo(
        AgentContext(llm=llm), sandbox, root, "The discounted total is wrong.", RepoOptions(k=2)
    )
    assert result.label == "verified" and result.targets == ["tests/test_cart.py::test_discounted_total"]
    assert result.changed["shop/prices.py"].count(FIXED) == 1 and "shop/cart.py" not in result.changed
    assert (
        result.attempts[0].broken == ["tests/test_cart.py::test_total"]
        and result.attempts[0].targets_passed == 1
    )
    assert any(
        "shop/prices.py::discount (run by the failing tests (spectrum 1.00)" in loc
        for loc in result.locations
    )
    assert "assert 0.0 == 18" in llm.prompts[0] and "def discount(price, percent):" in llm.prompts[0]
    assert (root / "shop" / "prices.py").read_text() == SHOP["shop/prices.py"]  # the workspace is untouched


def test_a_block_that_does_not_apply_is_repaired_once(sandbox, tmp_path):
    root = write(tmp_path, SHOP)
    drifted = (
        "shop/prices.py\n<<<<<<< SEARCH\n    cut = price * pct / 10\n=======\n" + FIXED + ">>>>>>> REPLACE\n"
    )
    exact = (
        "shop/prices.py\n<<<<<<< SEARCH\n    cut = price * percent / 10\n=======\n"
        + FIXED
        + ">>>>>>> REPLACE\n"
    )
    llm = FakeLLM([drifted, exact])
    result = fix_repo(AgentContext(llm=llm), sandbox, root, "The discount is wrong.", RepoOptions(k=1))
    assert result.label == "verified" and result.attempts[0].applied == ["repaired:exact"]
    assert "is not in shop/prices.py" in llm.prompts[1] and "cut = price * percent / 10" in llm.prompts[1]


def test_review_and_refine_start_from_the_best_attempt_and_stop_when_verified(sandbox, tmp_path):
    root = write(tmp_path, SHOP)
    halfway = "### shop/prices.py\n```python\ndef discount(price, percent):\n    cut = price * percent / 50\n    return rounded(price - cut)\n```"
    llm = FakeLLM([WRONG, halfway, "The divisor must be 100: percent means per hundred.", RIGHT])
    result = fix_repo(
        AgentContext(llm=llm), sandbox, root, "The discounted total is wrong.", RepoOptions(k=2)
    )
    # neither draft verifies and none passes a target: the review reads the first draft that applied
    assert [a.source for a in result.attempts] == ["draft 1", "draft 2", "refine 1"]
    assert result.label == "verified" and result.attempts[-1].verified
    assert "per hundred" in llm.prompts[3] and "An earlier attempt changed" in llm.prompts[3]
    assert "discounted_total" in llm.prompts[2]  # the reviewer saw the failing test, with locals


def test_a_report_without_a_failing_test_gets_a_reproduction_test_checked_to_fail_first(sandbox, tmp_path):
    files = dict(SHOP)
    files["tests/test_cart.py"] = (
        files["tests/test_cart.py"].split("\n\n\ndef test_discounted_total")[0] + "\n"
    )
    root = write(tmp_path, files)
    passes = (
        "```python\nfrom shop.prices import discount\n\ndef test_it():\n    assert discount(10, 0) == 10\n```"
    )
    fails = "```python\nfrom shop.prices import discount\n\ndef test_ten_percent():\n    assert discount(10, 10) == 9\n```"
    llm = FakeLLM([passes, fails, RIGHT])
    spec = "discount(10, 10) returns 0 but 10 percent off 10 should be 9."
    result = fix_repo(AgentContext(llm=llm), sandbox, root, spec, RepoOptions(k=1))
    assert result.reproduced and result.targets == [f"{REPRO_FILE}::test_ten_percent"]
    assert "passes on the current (buggy) code" in llm.prompts[1]
    assert result.label == "verified" and "test_ten_percent" in result.reproduction
    assert list(result.changed) == ["shop/prices.py"] and REPRO_FILE not in result.diff


def test_without_any_test_showing_the_problem_agreement_picks_the_change_and_says_unverified(
    sandbox, tmp_path
):
    files = dict(SHOP)
    files["tests/test_cart.py"] = (
        files["tests/test_cart.py"].split("\n\n\ndef test_discounted_total")[0] + "\n"
    )
    root = write(tmp_path, files)
    llm = FakeLLM(["no test here", WRONG, RIGHT, RIGHT])  # the Tester writes nothing usable
    result = fix_repo(AgentContext(llm=llm), sandbox, root, "discount(10, 10) should be 9.", RepoOptions(k=3))
    assert result.label == "unverified" and not result.targets and len(result.attempts) == 3  # no refine
    assert "percent / 100" in result.changed["shop/prices.py"]  # two drafts of three agree


def test_runs_of_named_tests_keep_the_projects_pytest_options(sandbox, tmp_path):
    src = {f"src/{p}" if p.startswith("shop/") else p: t for p, t in SHOP.items()}
    root = write(
        tmp_path, {**src, "pytest.ini": "[pytest]\n"}
    )  # pytest 7.2 takes -o pythonpath only with one
    halfway = RIGHT.replace("shop/prices.py", "src/shop/prices.py").replace("/ 100", "/ 50")
    right = RIGHT.replace("shop/prices.py", "src/shop/prices.py")
    llm = FakeLLM([halfway, halfway, halfway, "The divisor is wrong.", right])
    options = RepoOptions(k=3, rounds=1, pytest_options=["-o", "pythonpath=src"])
    fix_repo(AgentContext(llm=llm), sandbox, root, "The discounted total is wrong.", options)
    assert "assert 16.0 == 18" in llm.prompts[3] and "ModuleNotFoundError" not in llm.prompts[3]


def test_choose_prefers_the_biggest_agreeing_group_and_never_a_breaking_change():
    def attempt(text: str, verified: bool, broken: list[str] | None = None) -> Attempt:
        return Attempt(
            source=text, files={"a.py": text}, verified=verified, broken=broken or [], targets_passed=1
        )

    a, b, c = attempt("x = 1", True), attempt("x=1 ", True), attempt("x = 2", True)
    assert choose([c, a, b]) in (a, b)  # a and b make the same change
    assert choose([attempt("y", False, ["t::b"])]) is None
    assert choose([attempt("y", False, ["t::b"]), attempt("z", False)]).source == "z"


def code_workspace(root: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    """`triloop code --workspace ROOT` as a user runs it, with its own data dir."""
    env = {**os.environ, "TRILOOP_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    spec = "The discounted total is wrong: fix the bug."
    command = [sys.executable, "-m", "triloop.cli", "code", spec, "--workspace", str(root), *extra]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=1500)


@pytest.mark.model
@pytest.mark.slow
def test_code_workspace_end_to_end_with_the_embedded_model(tmp_path):
    root = write(tmp_path / "proj", SHOP)
    proc = code_workspace(root, tmp_path, "--apply")
    out = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode == 0, out
    assert "shop/prices.py::discount" in out and "largest prompt" in out  # localised; the cost shown
    assert "verified" in out and "wrote" in out
    assert "percent / 100" in (root / "shop" / "prices.py").read_text()
    assert (root / "tests" / "test_cart.py").read_text() == SHOP["tests/test_cart.py"]


@pytest.mark.model
@pytest.mark.slow
def test_without_apply_nothing_is_written(tmp_path):
    root = write(tmp_path / "proj", SHOP)
    proc = code_workspace(root, tmp_path, "--max-rounds", "0", "-m", "local-small")
    assert "cost:" in proc.stdout, proc.stdout + proc.stderr
    assert (root / "shop" / "prices.py").read_text() == SHOP["shop/prices.py"]


def test_a_reply_that_stops_after_the_diagnosis_is_asked_for_the_code(sandbox, tmp_path):
    from triloop.repo.prompts import CODE_PLEASE

    root = write(tmp_path, SHOP)
    llm = FakeLLM(["The divisor should be 100.", RIGHT])
    result = fix_repo(
        AgentContext(llm=llm), sandbox, root, "The discounted total is wrong.", RepoOptions(k=1)
    )
    assert result.label == "verified" and llm.prompts[1] == CODE_PLEASE and result.calls == 2


def test_the_plain_baseline_is_one_call_with_the_failure_and_the_file_and_applies_unchecked(
    sandbox, tmp_path
):
    from triloop.repo.plain import plain_fix

    root = write(tmp_path, SHOP)
    total = "Skip the discount.\n```python\ndef total(self, percent=0):\n    return 18\n```"  # no path header
    llm = FakeLLM([total])
    result = plain_fix(AgentContext(llm=llm), sandbox, root, "The discounted total is wrong.")
    assert result.calls == 1 and "assert 0.0 == 18" in llm.prompts[0] and "### shop/cart.py" in llm.prompts[0]
    assert result.label == "unverified"  # plain never runs the tests on its change
    assert "        return 18\n" in result.changed["shop/cart.py"]  # re-indented into Cart, not checked


def test_a_reply_that_sends_the_code_back_unchanged_is_asked_for_the_change(sandbox, tmp_path):
    from triloop.repo.prompts import SAME_CODE

    root = write(tmp_path, SHOP)
    same = "### shop/prices.py\n```python\n" + SHOP["shop/prices.py"].split("\n\n\n")[1] + "```"
    llm = FakeLLM([same, RIGHT])
    result = fix_repo(
        AgentContext(llm=llm), sandbox, root, "The discounted total is wrong.", RepoOptions(k=1)
    )
    assert llm.prompts[1] == SAME_CODE and result.label == "verified"


def test_addopts_naming_a_plugin_the_sandbox_lacks_are_dropped_instead_of_failing(sandbox, tmp_path):
    # semver's .pytest.ini asks for --cov: the sandbox has no pytest-cov, so every run would stop
    root = write(tmp_path, {**SHOP, "pytest.ini": "[pytest]\naddopts = --cov=shop --cov-report=term\n"})
    llm = FakeLLM([RIGHT])
    options = RepoOptions(k=1)
    result = fix_repo(AgentContext(llm=llm), sandbox, root, "The discounted total is wrong.", options)
    assert result.label == "verified" and options.pytest_options == []  # the caller's options untouched
