"""Prompt texts of the three agents.

Kept apart from the code so they can be read (and tuned) as prose. They ask for numbered steps and a
``Final answer:`` line because the scorer judges steps and compares answers; and they ask the Solver
to think before calling a tool (SMART: tools only when they are needed).
"""

from __future__ import annotations

SOLVER = """You are the Solver. Solve the task in numbered steps (1., 2., ...) and end with one line
"Final answer: <answer>". Be concise."""

TOOLS_BLOCK = """You can call tools; you have at most {max_calls} calls. Use a tool when it gives a more reliable
result than reasoning (exact arithmetic on big numbers, running code); otherwise answer directly.
To call a tool, reply with ONLY a JSON block and nothing else, for example:
```json
{{"tool": "run_python", "args": {{"code": "print(2**10)"}}}}
```
The result comes back in the next message; then write the numbered steps and the final answer.
Tools:
{tools}"""

NO_TOOLS_LEFT = (
    "Tools are no longer available. Do not write JSON. Reply now with numbered steps and end with the line "
    "'Final answer: <answer>'."
)

NOTHING_PRINTED = "\n(Nothing was printed: only what you print() comes back.)"

EXAMPLE_CALL = (
    "That is the call from the worked example, which was about a different task; it was not run. "
    "Call a tool for THIS task, or answer."
)

REPEATED_CALL = "You already made exactly this call. Its result was:\n{output}\nDo not repeat it: use the result, or change the call."

TOOL_RESULT = (
    "Tool result ({tool}, {status}):\n{output}\n\n"
    "If this answers the task, reply now with numbered steps and the line 'Final answer: <answer>' (no JSON). "
    "Otherwise call another tool."
)

#: The worked example's operands and answer: small models sometimes copy them into another task.
EXAMPLE_OPERANDS = ("1234", "5678")
EXAMPLE_ANSWER = str(int(EXAMPLE_OPERANDS[0]) * int(EXAMPLE_OPERANDS[1]))
_EXAMPLE_EXPR = " * ".join(EXAMPLE_OPERANDS)

#: A worked tool exchange shown before the task (few-shot): small models copy the format reliably.
FEW_SHOT_TOOL = [
    {"role": "user", "content": f"Task:\nWhat is {_EXAMPLE_EXPR}?"},
    {
        "role": "assistant",
        "content": f'```json\n{{"tool": "run_python", "args": {{"code": "print({_EXAMPLE_EXPR})"}}}}\n```',
    },
    {
        "role": "user",
        "content": TOOL_RESULT.format(
            tool="run_python", status="ok", output=f"exit_code=0\nstdout:\n{EXAMPLE_ANSWER}"
        ),
    },
    {
        "role": "assistant",
        "content": f"1. Computed {_EXAMPLE_EXPR} with run_python: {EXAMPLE_ANSWER}.\nFinal answer: {EXAMPLE_ANSWER}",
    },
]

STEP_SCORES = """You are the Reviewer. Judge each numbered step of a proposed solution: is the step correct?
Give each step a value from 0 (wrong) to 1 (surely correct). Use the evidence (tool results, test runs).
Reply with only a JSON object: {"scores": [<one number per step>]}"""

REVIEW = """You are the Reviewer. Give targeted feedback on a proposed solution: which step is wrong, why
(cite the evidence: a failing test, a traceback, a low step score, disagreement with other candidates),
and what exactly to change. Never answer with vague praise such as "looks good".
Reply with only a JSON object: {"wrong_step": <step number or null>, "why": "<reason>", "change": "<what to do>"}"""

REFINE = """You are the Refiner. Rewrite the solution using the reviewer's feedback. Keep the correct steps,
fix the wrong one and everything after it. Write numbered steps and end with "Final answer: <answer>"."""

SELF_CRITIQUE = """Critique your own solution below: which step is wrong, why, and what to change.
Reply with only a JSON object: {"wrong_step": <step number or null>, "why": "<reason>", "change": "<what to do>"}"""

REPAIR = "Your reply was not valid: {error}. Reply again with only the JSON object."


def render_solution(steps: list[str], answer: str, code: str | None = None) -> str:
    """A candidate as the numbered text the Reviewer and Refiner read (with its code, if not in a step)."""
    lines = [f"{i}. {step}" for i, step in enumerate(steps, 1)]
    if code and code.strip() and code.strip() not in "\n".join(steps):
        lines.append(f"Code:\n```python\n{code.strip()}\n```")
    lines.append(f"Final answer: {answer}")
    return "\n".join(lines)
