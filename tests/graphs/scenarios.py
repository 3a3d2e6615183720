"""Shared fake-LLM scenarios for the graph tests and the SIGKILL worker (all FAKE, scripted)."""

from __future__ import annotations

import json

from fake_llm import Rule, ScriptedFakeLLM, kind_rule, scores_rule

FEEDBACK = json.dumps({"wrong_step": 1, "why": "recompute failed: 3*4 is not 11", "change": "multiply again"})
WRONG = ["1. 3*4 = 11\nFinal answer: 11", "1. I guess\nFinal answer: 13", "1. roughly\nFinal answer: 14"]
RIGHT = "1. 3 * 4 = 12\nFinal answer: 12"


def hard_llm(refined: str = RIGHT, refined_scores: list[float] | None = None, **kwargs) -> ScriptedFakeLLM:
    """Drafts disagree and score low; the refiner fixes the answer (a hard problem).

    Without a ``run_python`` tool the general kind drafts by the tool-loop solver ("Task: ..."), scored
    step by step; "What is 3*4?" is general by its wording (no intake call), other wording may ask the
    model for the kind (answered: an answer)."""
    return ScriptedFakeLLM(
        [
            kind_rule("answer"),
            scores_rule(("Judge each numbered step", "Final answer: 12"), refined_scores or [0.95]),
            scores_rule("Judge each numbered step", [0.3]),
            Rule("reviewer", "targeted feedback", FEEDBACK),
            Rule("refiner", "You are the Refiner", refined),
            Rule("solver", "Task:", WRONG),
        ],
        **kwargs,
    )
