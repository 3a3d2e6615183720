"""The Solver: drafts one candidate (numbered steps + final answer), calling tools when needed."""

from __future__ import annotations

import re
from collections.abc import Mapping

from triloop.agents.base import AgentContext
from triloop.agents.models import Candidate, ToolCall
from triloop.agents.parsing import final_answer, last_code, steps_of
from triloop.agents.prompts import FEW_SHOT_TOOL, SOLVER, TOOLS_BLOCK
from triloop.agents.toolloop import tool_loop
from triloop.llm.base import Message, Role
from triloop.tools.base import Tool

#: Prompt variants for diversity across candidates (MAgICoRe samples at diverse prompts/temperatures).
STYLES = (
    "",
    "Work carefully and check each intermediate result.",
    "First restate the problem in your own words, then solve it.",
    "Consider an alternative approach before settling on one.",
)


def tools_block(tools: Mapping[str, Tool], max_tool_calls: int) -> str:
    if not tools or max_tool_calls <= 0:
        return ""
    rendered = "\n".join(tool.spec.render() for tool in tools.values())
    return TOOLS_BLOCK.format(max_calls=max_tool_calls, tools=rendered)


def candidate_from_text(
    text: str, *, cid: str, tool_calls: list[ToolCall], temperature: float, round_: int, parent: str | None
) -> Candidate:
    """Build a candidate from the model's final text (steps, answer, code)."""
    answer = final_answer(text)
    stated = answer is not None
    code = last_code(text)
    if code is None:  # fall back to the last code that ran without error
        ran = [c.args.get("code") for c in tool_calls if c.tool == "run_python" and c.ok]
        code = ran[-1] if ran else None
    if answer is None:  # no "Final answer:" line: the last prose line, never a code fence or JSON
        prose = re.sub(r"```.*?(```|$)", "", text, flags=re.DOTALL)
        lines = [
            line.strip() for line in prose.splitlines() if line.strip() and not line.strip().startswith("{")
        ]
        answer = lines[-1] if lines else ""
    return Candidate(
        stated_answer=stated,
        id=cid,
        parent_id=parent,
        round=round_,
        temperature=temperature,
        steps=steps_of(text),
        answer=answer,
        code=code,
        raw=text,
        tool_calls=tool_calls,
    )


def same_code(a: str | None, b: str | None) -> bool:
    """Equal up to blank lines and trailing spaces."""

    def norm(code: str | None) -> list[str]:
        return [line.rstrip() for line in (code or "").splitlines() if line.strip()]

    return norm(a) == norm(b)


def task_message(task: str, plan: str, context: str) -> str:
    parts = [f"Task:\n{task}"]
    if plan:
        parts.append(f"Plan of approach: {plan}")
    if context:
        parts.append(f"From memory (may help):\n{context}")
    return "\n\n".join(parts)


def solve(
    ctx: AgentContext,
    *,
    task: str,
    plan: str,
    context: str,
    cid: str,
    index: int,
    temperature: float,
    tools: Mapping[str, Tool],
    max_tool_calls: int,
    role: Role = "solver",
) -> Candidate:
    """Draft candidate number ``index`` (its prompt style varies with the index for diversity)."""
    system = SOLVER
    style = STYLES[index % len(STYLES)]
    if style:
        system += "\n" + style
    user = task_message(task, plan, context)
    block = tools_block(tools, max_tool_calls)
    if block:  # after the task: small models follow the most recent instructions best
        user += "\n\n" + block
    shots = FEW_SHOT_TOOL if "run_python" in tools and max_tool_calls > 0 else []
    messages: list[Message] = [
        {"role": "system", "content": system},
        *shots,
        {"role": "user", "content": user},
    ]
    text, calls = tool_loop(
        ctx,
        messages,
        role=role,
        tools=tools,
        max_tool_calls=max_tool_calls,
        temperature=temperature,
        purpose=f"solve:{cid}",
    )
    candidate = candidate_from_text(
        text, cid=cid, tool_calls=calls, temperature=temperature, round_=0, parent=None
    )
    return candidate
