"""The decisions of the loop as pure functions: coarse vs fine at triage, and which candidate to settle on.

Kept apart from the nodes (which only move state in and out) so the rules read in one place and can
be tested without a graph.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

from triloop.agents.models import Candidate
from triloop.graphs import scoring
from triloop.graphs.state import SolveConfig, StrategyPlan


class Decision(NamedTuple):
    decision: str  # "settle" | "review" | "budget" | "top_up" | "widen"
    stopped_by: str | None
    reason: str


def decide(
    config: SolveConfig,
    plan: StrategyPlan,
    active: list[Candidate],
    history: list[float],
    rounds: int,
    over_budget: str,
    widen: int = 0,
    top_up: int = 0,
) -> Decision:
    """Settle easy or verified problems, stop on budgets or no gain, otherwise widen the pool with
    ``widen`` more drafts (once, before any review) or review (fine).

    No gain stops the loop, unless the best candidate fails a hard check: then up to
    ``config.patience`` rounds in a row may gain nothing, since settling returns an answer known to be
    wrong (the next round tries another candidate or samples the refinement, see ``review_sends``).

    ``top_up``: drafts of k not sent yet (adaptive consistency). Unless the first drafts settle it
    easily they are sent before anything else is decided, so the rest reads the full first pool."""
    if not active:  # the budget ran out before any draft was finished: ask (interactive) or stop
        return Decision("budget", "budget", over_budget or "no draft finished within the budget")
    if not plan.refine:
        return Decision("settle", "done", f"strategy {config.strategy} does not refine")
    if rounds == 0 and len(active) > 1 and (easy := _easy(config, plan, active)):
        return easy
    if top_up > 0 and rounds == 0 and not over_budget:
        return Decision("top_up", None, f"{len(active)} drafts do not settle it: {top_up} more")
    verified = [
        scoring.combine(c, with_agreement=False)
        for c in active
        if scoring.is_verified(c, config.verify_score)
    ]
    if verified:
        return Decision("settle", "verified", f"evidence passes, score {max(verified):.2f}")
    if over_budget:  # before the adaptive stop: a spent budget may be why the last round gained nothing
        return Decision("budget", "budget", over_budget)
    stalled = stalled_rounds(history, rounds, config.min_improvement)
    if stalled and (stalled > config.patience or not best_of(config, active).failing_evidence):
        return Decision("settle", "no_improvement", f"best score {history[-2]:.2f} -> {history[-1]:.2f}")
    if widen and rounds == 0:
        return Decision("widen", None, f"not settled by {len(active)} drafts: {widen} more before review")
    return Decision("review", None, "")


def _easy(config: SolveConfig, plan: StrategyPlan, active: list[Candidate]) -> Decision | None:
    """Settle easily when most drafts behave alike and the answer an easy settle returns (the
    majority's pick, not the best candidate) scores high and fails no check: a majority failing the
    task's examples must not outvote one that passes them (HumanEval/33, run v6)."""
    shares = scoring.vote_shares(active, weighted=False)  # easy needs real agreement, not one high score
    top_share = max(shares.values()) if shares else 0.0
    if top_share < config.easy_agreement:
        return None
    pick = choose(config, plan, active, "easy")
    if (pick.score or 0) < config.easy_score or pick.failing_evidence:
        return None
    return Decision("settle", "easy", f"agreement {top_share:.2f}, answer scores {pick.score:.2f}")


def stalled_rounds(history: list[float], rounds: int, min_improvement: float) -> int:
    """How many of the last refinement rounds in a row raised the best score by less than
    ``min_improvement``. The last ``rounds`` entries of ``history`` are the rounds' (one scoring each);
    the entry before them is the drafts' best."""
    stalled = 0
    tail = history[-rounds - 1 :] if rounds else []
    for before, after in reversed(list(pairwise(tail))):
        if after - before >= min_improvement:
            break
        stalled += 1
    return stalled


def _tie_order(c: Candidate) -> tuple[float, int, str]:
    # max() keeps the first of equals: ties go to the coolest draft (the greedy one is the single call's
    # answer), then the earliest id, never to whichever parallel task happened to finish first
    return (c.temperature, len(c.id), c.id)


def best_of(config: SolveConfig, active: list[Candidate]) -> Candidate:
    """The best candidate: verified first, then by score; the one triage judges is the one finalize
    returns."""
    return max(
        sorted(active, key=_tie_order),
        key=lambda c: (scoring.is_verified(c, config.verify_score), c.score or 0.0),
    )


def choose(
    config: SolveConfig,
    plan: StrategyPlan,
    active: list[Candidate],
    stopped_by: str,
    unsure_pick: str = "best",
) -> Candidate:
    """The answer: score-weighted majority (easy), plain majority (sc) or the best (verified first).
    ``unsure_pick`` (the kind's): when nothing settled it easily or verified it, the best candidate or
    the score-weighted vote.

    With no candidate (the budget ran out before any draft was finished) an empty one stands in.
    """
    if not active:
        return Candidate(id="", stated_answer=False)
    rule = plan.settle
    if plan.settle == "weighted" and stopped_by != "easy":
        vote = unsure_pick == "vote" and stopped_by != "verified"
        rule = "weighted" if vote else "best"
    if rule == "best":
        return best_of(config, active)
    active = sorted(active, key=_tie_order)
    shares = scoring.vote_shares(active, weighted=rule == "weighted")
    # the best-scored member of the largest vote share (a tie of shares goes to the better score); a
    # candidate with no answer never wins a tie against one with an answer
    return max(active, key=lambda c: (bool(c.answer.strip()), shares[scoring.answer_key(c)], c.score or 0.0))
