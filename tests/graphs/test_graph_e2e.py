"""End to end: the REAL embedded model, the REAL sandbox, the real graph (no fakes).

Kept few and short (small max_tokens, k <= 2) because the 2 CPU cores are shared.
"""

from __future__ import annotations

import pytest
from realdeps import shared_fixture

from triloop.graphs.builder import build_solve_graph
from triloop.graphs.state import Budgets, SolveConfig

pytestmark = [pytest.mark.model, pytest.mark.slow]

A, B = 482_917, 736_251
PRODUCT_TASK = f"What is {A} * {B}? Give the exact integer."

PALINDROME_TASK = (
    "Write a Python function is_palindrome(s: str) -> bool that returns True when s reads the same "
    "forwards and backwards, ignoring case and non-alphanumeric characters."
)
PALINDROME_TESTS = """\
from solution import is_palindrome
assert is_palindrome("A man, a plan, a canal: Panama")
assert is_palindrome("racecar")
assert not is_palindrome("hello")
assert is_palindrome("")
"""


def solve(llm, tools, config: SolveConfig, task: str, tests: str | None = None, run_id: str = "e2e") -> dict:
    graph = build_solve_graph(llm, tools=tools, config=config)
    return graph.invoke({"run_id": run_id, "task": task, "tests": tests, "config": config.model_dump()})


def test_product_of_six_digit_numbers_needs_run_python(request, sandbox_tools):
    llm = shared_fixture(request, "local_llm")
    budgets = Budgets(max_llm_calls=8, max_rounds=0)
    expected = str(A * B)

    unaided = solve(
        llm, {}, SolveConfig(strategy="single", max_tokens_per_call=160, budgets=budgets), PRODUCT_TASK
    )
    # with a sandbox the general kind drafts programs (the question writes out its arithmetic: two of
    # them, the second sampled); two that print the same number settle it
    with_tool = solve(
        llm,
        {"run_python": sandbox_tools["run_python"]},
        SolveConfig(k=2, max_tokens_per_call=200, budgets=budgets),
        PRODUCT_TASK,
    )
    result = with_tool["result"]
    program = with_tool["candidates"]["c0"]
    assert program["method"] == "program" and program["tool_calls"][0]["ok"], program
    assert result["answer"].replace(",", "") == expected, result
    assert result["outcome"] in ("easy", "verified"), result  # the sandboxed programs agree on it
    # unaided, nothing checks the model's number (and a 1.5B model rarely gets it right)
    assert unaided["result"]["verified"] is False and unaided["result"]["outcome"] == "unsure"
    print("unaided answer:", unaided["result"]["answer"], "expected:", expected)


def test_function_writing_task_verified_by_execution(request, sandbox_tools):
    llm = shared_fixture(request, "local_llm")
    config = SolveConfig(
        strategy="triloop",
        k=3,
        review_top=1,
        max_tool_calls=0,
        max_tokens_per_call=400,
        budgets=Budgets(max_rounds=2, max_llm_calls=24),
    )
    out = solve(llm, sandbox_tools, config, PALINDROME_TASK, tests=PALINDROME_TESTS, run_id="e2e-fn")
    result = out["result"]
    print("function-writing:", result["stopped_by"], result["rounds"], "rounds", result["usage"])
    assert result["code"] and "def is_palindrome" in result["code"], result
    tests_evidence = [e for e in result["evidence"] if e["kind"] == "tests"]
    assert tests_evidence and tests_evidence[-1]["passed"] is True, result
    assert result["verified"] is True
    # the verification really ran in the sandbox: re-run the chosen code against the tests
    rerun = sandbox_tools["run_tests"](code=result["code"], tests=PALINDROME_TESTS)
    assert rerun.ok, rerun.output
