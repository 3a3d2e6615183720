"""Budget checks: LLM calls, tokens and wall time per run, counted from the Completions in the state."""

from __future__ import annotations

from collections.abc import Mapping

from triloop.graphs.state import Budgets


def extended_budgets(budgets: Budgets, extensions: int) -> Budgets:
    """Each "continue" after a budget interrupt grants the run its original budget once more.

    Calls, tokens and rounds add up; the wall-time budget instead restarts at the "continue" (the
    state's ``wall_from``), so a long pause before answering does not eat the granted time.
    """
    factor = 1 + extensions
    return budgets.model_copy(
        update={
            "max_llm_calls": budgets.max_llm_calls * factor,
            "max_tokens": budgets.max_tokens * factor,
            "max_rounds": max(budgets.max_rounds, 1) * factor if extensions else budgets.max_rounds,
        }
    )


def exceeded(usage: Mapping[str, int], budgets: Budgets, elapsed_s: float, rounds: int = 0) -> str:
    """Why the run is over budget ('' if it is not). Wall time counts from the run's start."""
    calls = usage.get("llm_calls", 0)
    tokens = usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
    if calls >= budgets.max_llm_calls:
        return f"LLM calls {calls} >= {budgets.max_llm_calls}"
    if tokens >= budgets.max_tokens:
        return f"tokens {tokens} >= {budgets.max_tokens}"
    if rounds >= budgets.max_rounds:
        return f"refinement rounds {rounds} >= {budgets.max_rounds}"
    if elapsed_s >= budgets.max_wall_s:
        return f"wall time {elapsed_s:.0f}s >= {budgets.max_wall_s:.0f}s"
    return ""
