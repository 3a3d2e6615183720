"""Scoring one attempt: code against the problem's hidden tests in the sandbox, or a question's answer
by the question's own scorer.

Only the final code or answer is scored. Code runs in the sandbox with a timeout: a solution that hangs,
crashes or exits early is a failure of that solution, never a hang or crash of the harness. A question
needs no sandbox: its scorer (a reasoning-gym family's, or the general kind's ``same_answer``) decides.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from pydantic import BaseModel

from triloop.bench.problems import BenchProblem, Problem
from triloop.bench.questions import ValueProblem
from triloop.bench.strategies import Attempt, PoolMember
from triloop.tools.sandbox.errors import SandboxInputError

if TYPE_CHECKING:
    from triloop.tools.sandbox.base import Sandbox

DETAIL_LIMIT = 300


class Verdict(BaseModel):
    """The hidden tests' verdict on one piece of code."""

    passed: bool
    detail: str


def _failure_line(text: str) -> str:
    """The error's last line; a bare ``AssertionError`` gets the failing statement before it."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip(" \t^~")]  # no caret lines
    if not lines:
        return ""
    last = lines[-1]
    if last == "AssertionError" and len(lines) >= 2 and not lines[-2].startswith("File "):
        last = f"AssertionError: {lines[-2]}"
    return last[:DETAIL_LIMIT]


def score(sandbox: Sandbox, problem: BenchProblem, code: str | None, *, timeout: float) -> Verdict:
    """Run ``code`` + the problem's ``check`` in the sandbox; pass only when ``check`` ran to its end.

    A random token printed after ``check`` returns tells a real pass from code that exits early with
    status 0 (``sys.exit()`` at import would otherwise skip the tests).
    """
    if code is None or not code.strip():
        return Verdict(passed=False, detail="no code")
    token = f"triloop-bench-done-{secrets.token_hex(8)}"
    program = f"{code}\n\n{problem.test}\n\ncheck({problem.entry_point})\nprint({token!r})\n"
    try:
        result = sandbox.execute(program, timeout=timeout)
    except SandboxInputError as exc:
        return Verdict(passed=False, detail=f"rejected by the sandbox: {exc}"[:DETAIL_LIMIT])
    if result.timed_out:
        return Verdict(passed=False, detail=f"timed out after {timeout:g}s")
    if result.oom_killed:
        return Verdict(passed=False, detail="out of memory")
    if result.ok and (token in result.stdout or result.stdout_truncated):
        return Verdict(passed=True, detail="passed")
    if result.ok:
        return Verdict(passed=False, detail="exited before the tests finished")
    line = _failure_line(result.stderr) or _failure_line(result.stdout)
    return Verdict(passed=False, detail=line or f"exit code {result.exit_code}")


def score_pool(
    sandbox: Sandbox, problem: BenchProblem, attempt: Attempt, verdict: Verdict, *, timeout: float
) -> list[PoolMember]:
    """The attempt's pool, each member scored on the hidden tests (same code, one run; the final code's
    verdict is reused). For analysis after the run, never fed back into it."""
    verdicts: dict[str | None, bool] = {attempt.code: verdict.passed} if attempt.code else {}
    scored = []
    for member in attempt.pool:
        if member.code not in verdicts:
            verdicts[member.code] = score(sandbox, problem, member.code, timeout=timeout).passed
        scored.append(member.model_copy(update={"hidden": verdicts[member.code]}))
    return scored


def score_answer(problem: ValueProblem, answer: str | None) -> Verdict:
    """The question's scorer on ``answer``; a wrong answer's detail shows what was given and expected."""
    from triloop.kinds.general.answers import display

    if answer is None or not answer.strip():
        return Verdict(passed=False, detail="no answer")
    if problem.correct(answer):
        return Verdict(passed=True, detail="passed")
    expected = "" if problem.answer is None else f", expected {problem.answer!r}"
    return Verdict(passed=False, detail=f"wrong answer {display(answer)!r}{expected}"[:DETAIL_LIMIT])


def judge(sandbox: Sandbox | None, problem: Problem, attempt: Attempt, *, timeout: float) -> Verdict:
    """The verdict on ``attempt``, the way ``problem`` is scored: its answer for a question, its code in
    the sandbox for a coding problem."""
    if isinstance(problem, ValueProblem):
        return score_answer(problem, attempt.answer)
    if sandbox is None:
        raise ValueError("coding problems are scored in a sandbox; none was given")
    return score(sandbox, problem, attempt.code, timeout=timeout)
