"""Prompts of the general kind, kept as data.

Two independent ways to reach an answer: reasoning in words (``REASON``) and a short program that prints
the answer (``PROGRAM``, program-aided reasoning), run in the sandbox. Prompts are short on purpose:
on 2 CPU cores the prompt's prefill is most of a call's time.
"""

from __future__ import annotations

from triloop.llm.base import Message

REASON = (
    "Answer the question. Reason in short numbered steps, then end with one line "
    '"Final answer: <answer>" giving only the value asked for.'
)

PROGRAM = (
    "Answer the question by writing one short Python program that computes the answer and prints it "
    "(only the value asked for, in the form the question asks). Put the program in one ```python block. "
    "Use only the standard library; compute every number in code, do not hard-code results you worked out."
)


def reason_messages(question: str) -> list[Message]:
    """The reasoning prompt; at temperature 0 this is also the bench's ``plain`` call."""
    return [{"role": "system", "content": REASON}, {"role": "user", "content": question}]


def program_messages(question: str) -> list[Message]:
    return [{"role": "system", "content": PROGRAM}, {"role": "user", "content": question}]


PROGRAM_FAILED = (
    "The program failed:\n{error}\nReply with the corrected complete program in one ```python block."
)

PROGRAM_MISSING = "Now write the program that computes it: one ```python block that prints the answer."

PROGRAM_SILENT = "The program printed nothing. Reply with the complete program in one ```python block; it must print the answer."

REVIEW = (
    "Question: {question}\n\nA proposed solution:\n{solution}\n\n{evidence}"
    "Find the mistake, if any: which step or line is wrong, why, and what to change. "
    'Reply with only JSON: {{"wrong_step": <step number or null>, "why": "...", "change": "..."}}'
)

REFINE_REASON = (
    "Question: {question}\n\nThis solution may be wrong:\n{solution}\n\nA reviewer says: {feedback}\n\n"
    'Solve it again in short numbered steps, then end with one line "Final answer: <answer>".'
)

REFINE_PROGRAM = (
    "Question: {question}\n\nThis program may compute the wrong answer:\n```python\n{code}```\n"
    "It printed: {printed}\n\nA reviewer says: {feedback}\n\n"
    "Reply with the corrected complete program in one ```python block; it must print the answer."
)
