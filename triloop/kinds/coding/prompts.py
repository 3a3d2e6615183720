"""Prompts of the coding kind: lean (prefill is the cost on small local models), plain text, code in fences.

Every draft of a run shares one prompt, so the server's prompt cache serves the prefix after the first;
diversity comes from temperature. The draft prompt is the plain single call users compare with, so the
greedy draft is exactly what one plain call would give: the team can only add to it.
"""

from __future__ import annotations

from pydantic import BaseModel

DRAFT_STUB = (
    "Complete the following Python function. Reply with the complete function in one ```python code block."
    "\n\n```python\n{task}```"
)

DRAFT_OPEN = (
    "Write Python code for the task below{signature}. Reply with the complete code in one ```python code "
    "block.\n\nTask: {task}"
)

FIX = "Your reply cannot be used: {defect}. Reply with the complete function `{entry}` in one ```python code block."

TESTER = (
    "```python\n{task}```\n\nWrite {n} test cases for `{entry}` from the description above: typical "
    "inputs and edge cases. Work out each expected result from the description, step by step in your "
    "head. Reply with only a ```python block of one-line asserts, each `assert {entry}(...) == ...`."
)

REVIEW = (
    "```python\n{task}```\n\nA solution:\n```python\n{code}```\n\n{failure}\n\n{trace}"
    "Which line or block of the solution is wrong, and how should it change? If the expected value "
    "itself contradicts the description, say so. Answer in at most 3 sentences, no code."
)

SELF_REVIEW = (
    "```python\n{task}```\n\nYour solution:\n```python\n{code}```\n\n{failure}\n\n"
    "What is wrong in your solution, and how should it change? Answer in at most 3 sentences, no code."
)

REFINE = (
    "```python\n{task}```\n\nThis solution is wrong:\n```python\n{code}```\n\n{failure}\n\n"
    "Review: {review}\n\nWrite the corrected function. Reply with the complete function in one "
    "```python code block."
)

UNCHANGED = (
    "That is the same code, and it still fails ({failure}). Change it so that this check passes: reply "
    "with the complete corrected function in one ```python code block."
)

STILL_FAILS = (
    "The new code still fails the same way: {failure} Change it so that this check passes: reply with "
    "the complete corrected function in one ```python code block."
)

SIGNATURE = (
    "A person asks for code. If they ask for one function, give its Python signature, e.g. "
    '"def count_vowels(text: str) -> int"; for a script, a class or a fix, give "". '
    'Reply with only JSON: {"signature": "..."}'
)


class SignatureReply(BaseModel):
    signature: str = ""
