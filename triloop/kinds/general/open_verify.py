"""Verification of open answers (the tool-using reasoning path): tool evidence, tests, recomputation of
stated arithmetic, step scores.

Runs inside each candidate's own graph task (after drafting or refining), so candidates are verified in
parallel; the pool-level parts of the score (agreement, replacement) happen in the ``score`` node.
"""

from __future__ import annotations

from collections.abc import Mapping

from triloop.agents.base import AgentContext, EventSink
from triloop.agents.meter import BudgetExhausted
from triloop.agents.models import Candidate, Evidence
from triloop.agents.prompts import EXAMPLE_ANSWER, EXAMPLE_OPERANDS
from triloop.agents.reviewer import step_scores
from triloop.agents.toolloop import repl_print, run_tool
from triloop.graphs.scoring import answer_vs_tool_output, execution_component, recompute, steps_component
from triloop.graphs.state import StrategyPlan
from triloop.kinds.general.answers import canonical, same_answer, value_of
from triloop.tools.base import Tool, ToolResult


def _traced(emit: EventSink | None, tools: Mapping[str, Tool], name: str, args: dict) -> ToolResult:
    """Run a verification tool call and report it to the trace like an agent's tool call."""
    result, latency = run_tool(tools, name, args)
    if emit is not None:
        emit(
            {
                "type": "tool_call",
                "role": "verifier",
                "tool": name,
                "args": args,
                "ok": result.ok,
                "output": result.output[:2000],
                "latency_s": latency,
            }
        )
    return result


def execution_evidence(
    candidate: Candidate,
    *,
    tests: str | None,
    tools: Mapping[str, Tool],
    emit: EventSink | None = None,
) -> list[Evidence]:
    """Evidence from the candidate's own tool calls and, for code, from running it (and its tests).

    Only the last call of each tool passes or fails: an error the candidate hit and then fixed is
    exploration, not a defect of the final solution.
    """
    last = {c.tool: i for i, c in enumerate(candidate.tool_calls)}
    found = [
        Evidence(
            kind="tool", passed=c.ok if last[c.tool] == i else None, detail=f"{c.tool}: {c.output[:200]}"
        )
        for i, c in enumerate(candidate.tool_calls)
    ]
    ran_already = any(c.args.get("code") == candidate.code for c in candidate.tool_calls)
    if candidate.code and tests and "run_tests" in tools:
        result = _traced(emit, tools, "run_tests", {"code": candidate.code, "tests": tests})
        found.append(Evidence.of_tests(result))
    elif candidate.code and "run_python" in tools and is_number(candidate.answer) and not ran_already:
        found.append(rerun_numeric(candidate, tools, emit))
    return found


def copies_the_example(answer: str, task: str) -> bool:
    """The answer is the few-shot example's while the task is another one (seen with the 1.5B model)."""
    return canonical(answer) == EXAMPLE_ANSWER and not all(o in task for o in EXAMPLE_OPERANDS)


def is_number(answer: str) -> bool:
    return value_of(answer) is not None


def rerun_numeric(candidate: Candidate, tools: Mapping[str, Tool], emit: EventSink | None = None) -> Evidence:
    """Recomputation by code: run the candidate's own code in the sandbox; does it print its answer?"""
    result = _traced(emit, tools, "run_python", {"code": repl_print(candidate.code or "")})
    printed = str(result.data.get("stdout", result.output)).strip().splitlines()
    last = printed[-1].strip() if printed else ""
    ok = result.ok and same_answer(last, candidate.answer)
    detail = f"the candidate's code printed {last or 'nothing'!r}; answer is {candidate.answer.strip()!r}"
    if not result.ok:
        detail = "the candidate's code failed: " + result.output[-300:]
    return Evidence(kind="recompute", passed=ok, detail=detail)


def verify_candidate(
    ctx: AgentContext,
    candidate: Candidate,
    *,
    task: str,
    tests: str | None,
    tools: Mapping[str, Tool],
    plan: StrategyPlan,
) -> Candidate:
    """Attach evidence, step scores and the candidate-local score components."""
    emit = ctx.emit if ctx is not None else None
    evidence = execution_evidence(candidate, tests=tests, tools=tools, emit=emit)
    evidence += recompute(candidate)
    check = answer_vs_tool_output(candidate)
    if check is not None:
        evidence.append(check)
    if copies_the_example(candidate.answer, task):
        evidence.append(
            Evidence(
                kind="answer",
                passed=False,
                detail=f"the answer is the worked example's ({' * '.join(EXAMPLE_OPERANDS)}), not this task's",
            )
        )
    if not candidate.stated_answer:
        evidence.append(Evidence(kind="answer", passed=False, detail="no 'Final answer:' line"))
    if tests and candidate.code is None:
        evidence.append(Evidence(kind="tests", passed=False, detail="no code block to test"))
    candidate.evidence = evidence
    candidate.failing_evidence = any(e.passed is False for e in evidence)
    checked_by_code = any(e.passed for e in evidence if e.kind in ("tests", "recompute", "code_run"))
    candidate.verified_by_code = checked_by_code and not candidate.failing_evidence
    components: dict[str, float] = {}
    exec_value = execution_component(evidence)
    if exec_value is not None:
        components["execution"] = exec_value
    if plan.step_scoring and candidate.steps:
        try:
            candidate.step_scores = step_scores(ctx, task=task, candidate=candidate, role=plan.scorer_role)
        except BudgetExhausted as exc:  # unjudged steps count as unknown (0.5), never as a pass
            ctx.emit({"type": "budget_stop", "candidate": candidate.id, "reason": str(exc)})
            candidate.step_scores = [0.5] * len(candidate.steps)
        for i, value in enumerate(candidate.step_scores, 1):
            candidate.evidence.append(Evidence(kind="step_score", detail=f"{value:.2f}", step=i))
        steps_value = steps_component(candidate.step_scores)
        if steps_value is not None:
            components["steps"] = steps_value
    candidate.components = components
    if emit is not None:
        checked = [e.model_dump() for e in candidate.evidence if e.kind != "step_score"]
        emit({"type": "evidence", "candidate": candidate.id, "evidence": checked})
    return candidate
