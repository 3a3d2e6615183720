"""trace_call on a REAL sandbox (docker, else bwrap), and render_trace."""

from __future__ import annotations

import time

import pytest

from tests.sandboxes import real_sandbox
from triloop.kinds.coding.trace import Trace, TraceBlock, render_trace, trace_call

SECOND_LARGEST = """\
def second_largest(xs):
    best = second = xs[0]
    for x in xs[1:]:
        if x > best:
            second = best
            best = x
        elif x > second:
            second = x
    return second
"""

OFF_BY_ONE_SUM = """\
def total(n):
    # sum of 1..n, but the range stops one short
    s = 0
    for i in range(1, n):
        s += i
    return s
"""

WITH_HELPER = """\
import math

def scale(v):
    factor = 3
    return v * factor

def apply_all(values):
    out = []
    for v in values:
        out.append(scale(v))
    return out
"""

FIB = """\
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
"""


def test_buggy_second_largest_shows_loop_values_and_the_returned_value(sandbox):
    # best and second both start at the maximum, so the maximum comes back
    trace = trace_call(sandbox, SECOND_LARGEST, "second_largest([3, 1, 2])")
    assert trace.error is None and not trace.truncated
    assert trace.result == "returned 3"
    assert {b.state.get("x") for b in trace.blocks} >= {"1", "2"}
    assert all(b.state["second"] == "3" for b in trace.blocks)
    assert trace.blocks[0].function == "second_largest" and trace.blocks[0].first_line == 2
    assert trace.blocks[0].source[0] == "best = second = xs[0]"
    assert trace.blocks[-1].state["<return>"] == "3"
    assert (
        [b.index for b in trace.blocks] == list(range(len(trace.blocks))) == list(range(trace.total_blocks))
    )
    assert any(b.source[0] == "for x in xs[1:]:" for b in trace.blocks)  # a back-edge starts a block


def test_off_by_one_loop_shows_every_loop_value(sandbox):
    trace = trace_call(sandbox, OFF_BY_ONE_SUM, "total(4)")
    assert trace.result == "returned 6"
    seen = [b.state["i"] for b in trace.blocks if "i" in b.state]
    assert "3" in seen and "4" not in seen  # i never reaches n
    assert [b.state["s"] for b in trace.blocks if "s" in b.state][-1] == "6"
    text = render_trace(trace, expected="10")
    assert "expected 10" in text and "result: returned 6" in text and "i=3" in text


def test_helper_defined_in_the_code_is_followed_and_the_stdlib_is_not(sandbox):
    trace = trace_call(sandbox, WITH_HELPER, "apply_all([1, 2])")
    assert trace.result == "returned [3, 6]"
    functions = {b.function for b in trace.blocks}
    assert functions == {"apply_all", "scale"}
    helper = [b for b in trace.blocks if b.function == "scale"]
    assert [b.state["<return>"] for b in helper] == ["3", "6"]
    assert all(b.depth == 1 for b in helper)
    assert all("math" not in b.state and "scale" not in b.state for b in trace.blocks)


def test_methods_are_named_by_class_and_helpers_called_from_comprehensions_nest(sandbox):
    code = (
        "class Solution:\n"
        "    def double_all(self, xs):\n"
        "        return [self.double(x) for x in xs]\n"
        "    def double(self, x):\n"
        "        return 2 * x\n"
    )
    trace = trace_call(sandbox, code, "Solution().double_all([1, 2])")
    assert trace.result == "returned [2, 4]"
    assert {b.function for b in trace.blocks} == {"Solution.double_all", "Solution.double"}
    assert [b.depth for b in trace.blocks if b.function == "Solution.double"] == [1, 1]


def test_recursive_calls_are_traced_with_their_depth(sandbox):
    trace = trace_call(sandbox, FIB, "fib(3)")
    assert trace.result == "returned 2"
    assert {b.function for b in trace.blocks} == {"fib"}
    assert max(b.depth for b in trace.blocks) == 2
    assert [b.state["<return>"] for b in trace.blocks if b.depth == 0 and "<return>" in b.state] == ["2"]


def test_infinite_loop_times_out_within_the_timeout_and_keeps_first_and_last_blocks(sandbox):
    code = "def spin(n):\n    i = 0\n    while True:\n        i += 1\n"
    started = time.monotonic()
    trace = trace_call(sandbox, code, "spin(1)", max_blocks=10, timeout=4)
    assert time.monotonic() - started < 6
    assert trace.result == "timed out" and trace.error is None
    assert trace.truncated and len(trace.blocks) == 10
    assert trace.blocks[0].index == 0 and trace.blocks[-1].index == trace.total_blocks - 1


def test_raising_function_reports_the_exception(sandbox):
    code = "def ratio(a, b):\n    c = a + 1\n    return c / b\n"
    trace = trace_call(sandbox, code, "ratio(1, 0)")
    assert trace.result == "raised ZeroDivisionError: division by zero"
    assert trace.blocks[-1].state["<raised>"] == "ZeroDivisionError: division by zero"
    assert trace.blocks[-1].state["c"] == "2"


def test_truncation_keeps_the_first_and_the_last_blocks(sandbox):
    trace = trace_call(sandbox, OFF_BY_ONE_SUM, "total(100)", max_blocks=6, max_repr=20)
    assert trace.truncated and not trace.stopped
    assert len(trace.blocks) == 6 and trace.total_blocks > 90
    assert [b.index for b in trace.blocks[:3]] == [0, 1, 2]
    assert trace.blocks[-1].index == trace.total_blocks - 1
    assert trace.blocks[-1].state["<return>"] == "4950"
    text = render_trace(trace, max_lines=40)
    assert f"... {trace.total_blocks - 6} blocks ..." in text
    short = render_trace(trace, expected="5050", max_lines=6)
    lines = short.splitlines()
    assert len(lines) <= 6 and lines[-2:] == ["result: returned 4950", "expected 5050"]
    assert lines[0] == "trace of total(100):" and "blocks ..." in short


def test_module_that_does_not_load_and_forged_output(sandbox):
    broken = trace_call(sandbox, "import nosuchmodule\n", "f(1)")
    assert broken.blocks == [] and "ModuleNotFoundError" in (broken.error or "")
    forged = "triloop-trace-" + "cd" * 12 + ' {"blocks": [], "result": "returned 42", "truncated": false}'
    code = (
        f"import os, sys\ndef f(x):\n    print({forged!r}, file=sys.stderr)\n"
        "    os.write(2, b'x')\n    return x\n"
    )
    trace = trace_call(sandbox, code, "f(7)")
    assert trace.result == "returned 7" and trace.blocks


def test_one_trace_call_reports_its_time(sandbox):
    # timing is printed, not asserted: speed is benchmarks' job, and a loaded machine is no failure
    started = time.monotonic()
    trace = trace_call(sandbox, SECOND_LARGEST, "second_largest([2, 2])")
    elapsed = time.monotonic() - started
    print(f"trace_call on {sandbox.name}: {elapsed:.2f}s")
    assert trace.result == "returned 2"


@pytest.mark.parametrize(
    "backend,pool",
    [
        pytest.param("docker", 0, marks=pytest.mark.docker),
        pytest.param("bwrap", 0, marks=pytest.mark.bwrap),
        pytest.param("auto", 1),
    ],
)
def test_each_backend_and_the_warm_pool_trace_and_time_out(backend, pool):
    code = "def spin(n):\n    i = n\n    while True:\n        i += 1\n"
    with real_sandbox(backend, pool) as sb:
        if pool:
            assert sb.start_pool().wait_full(60), "warm pool did not fill"
        trace = trace_call(sb, code, "spin(1)", max_blocks=4, timeout=2.5)
    assert trace.result == "timed out" and trace.error is None
    assert trace.blocks[0].state == {"n": "1", "i": "2"} and len(trace.blocks) == 4  # lines 2-4 ran once


# -- render_trace without a sandbox ------------------------------------------------------------------


def _block(index: int, **state: str) -> TraceBlock:
    return TraceBlock(
        function="make_palindrome",
        first_line=5,
        last_line=7,
        source=["for i in range(n):", "s += x[i]"],
        state=state,
        index=index,
    )


def test_render_one_line_per_block_then_result_and_expected():
    trace = Trace(call="make_palindrome('ab')", blocks=[_block(3, i="2", s="'ab'")], result="returned 'ab'")
    text = render_trace(trace, expected="'aba'")
    assert text.splitlines() == [
        "trace of make_palindrome('ab'):",
        "[block 3] make_palindrome lines 5-7: `for i in range(n):` ... -> i=2, s='ab'",
        "result: returned 'ab'",
        "expected 'aba'",
    ]


@pytest.mark.parametrize("max_lines", [1, 2, 3, 5, 8, 12, 15, 40])
def test_render_stays_within_max_lines(max_lines):
    blocks = [_block(i, i=str(i)) for i in range(5)] + [_block(i, i=str(i)) for i in range(95, 100)]
    trace = Trace(call="f()", blocks=blocks, result="timed out", truncated=True, total_blocks=100, error="x")
    text = render_trace(trace, expected="1", max_lines=max_lines)
    lines = text.splitlines()
    assert len(lines) <= max_lines
    assert lines[-1] == "expected 1"
    if max_lines >= 15:  # 4 fixed lines, 10 blocks and one gap line fit
        assert "... 90 blocks ..." in lines
        assert lines[2].startswith("[block 0]") and lines[-3].startswith("[block 99]")
    if max_lines == 8:
        assert lines[2].startswith("[block 0]") and lines[-3].startswith("[block 99]")
        assert any(line.startswith("... ") and line.endswith(" blocks ...") for line in lines)


def test_render_shrinks_to_max_chars_and_keeps_the_result_and_expected_lines():
    wide = "[" + ", ".join(str(i) for i in range(400)) + "]"
    blocks = [_block(i, grid=wide, i=str(i)) for i in range(60)]
    trace = Trace(call="f(grid)", blocks=blocks, result="returned 3", truncated=False, total_blocks=60)
    full = render_trace(trace, expected="4")
    assert len(full) > 8_000  # 40 lines cut at 240 characters
    for room in (6_000, 3_000, 1_500, 700):
        text = render_trace(trace, expected="4", max_chars=room)
        assert 0 < len(text) <= room
        assert text.splitlines()[-2:] == ["result: returned 3", "expected 4"]
    assert render_trace(trace, expected="4", max_chars=100) == ""  # no shape fits: no trace at all


GROW = """\
def grow(n):
    rows = []
    for i in range(n):
        rows.append(list(range(i * 40, i * 40 + 40)))
    return rows[-1][0]
"""


def test_a_review_prompt_stays_within_the_model_context_whatever_the_trace(sandbox):
    """HumanEval/129's review once asked for 4,561 tokens of a 4,096-token slot (a grid in every trace
    line) and the whole run was lost: the trace now takes only the room the task and code leave."""
    from tests.graphs.fake_llm import Rule, ScriptedFakeLLM
    from triloop.agents.base import AgentContext
    from triloop.agents.models import Candidate
    from triloop.graphs.state import StrategyPlan
    from triloop.kinds.coding import kind as coding
    from triloop.kinds.coding import repair
    from triloop.kinds.coding.checks import CheckOutcome, RunReport

    failing = CheckOutcome(call="grow(60)", expected="0", source="generated", passed=False, got="2360")
    target = Candidate(id="c0", code=GROW, report=RunReport(loaded=True, outcomes=[failing]).model_dump())
    plan = StrategyPlan(k=3, step_scoring=False, refine=True, settle="best")
    kind = coding.CodingKind({})
    kind.sandbox = sandbox

    def review_prompt(task_chars: int) -> str:
        llm = ScriptedFakeLLM([Rule("reviewer", "", "The loop keeps the last row.")])
        task = "def grow(n):\n    '''" + "Grow rows of numbers. " * (task_chars // 22) + "'''\n"
        kind.review(AgentContext(llm=llm), target, {"task": task, "entry_point": "grow"}, plan, [])
        return llm.calls[0]["last"]

    def tokens(prompt: str) -> int:  # the kind's own low count: ~2 characters a token in a trace
        head, _, trace = prompt.partition("Runtime trace")
        return len(head) // repair.TEXT_CHARS_PER_TOKEN + len(trace) // repair.TRACE_CHARS_PER_TOKEN

    short, long_task, huge = review_prompt(300), review_prompt(5_000), review_prompt(10_000)
    assert "Runtime trace" in short and "[block" in short and "expected 0" in short
    assert "Runtime trace" in long_task and len(long_task) - 5_000 < len(short)  # shrunk to fit
    assert "Runtime trace" not in huge and "grow(60) returned 2360, expected 0" in huge
    for prompt in (short, long_task, huge):
        assert tokens(prompt) <= repair.REVIEW_PROMPT_TOKENS
