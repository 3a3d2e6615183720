"""Budget limits per run: what a "continue" grants, and the refinement-round check of triage."""

from __future__ import annotations

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


def rounds_spent(rounds: int, budgets: Budgets) -> str:
    """Why no further refinement round may start ('' if one may). Calls, tokens and wall time are the
    live meter's (:class:`~triloop.agents.meter.CallMeter`), which books them before every call."""
    if rounds >= budgets.max_rounds:
        return f"refinement rounds {rounds} >= {budgets.max_rounds}"
    return ""
