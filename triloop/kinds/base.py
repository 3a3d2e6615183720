"""The one small interface between the generic MAgICoRe loop and a task kind.

The graph (``triloop/graphs``) owns the loop: fan out drafts, score the pool, triage, review and refine
the hard ones, settle. A *kind* owns what differs between tasks: whether a task is its own, how a
candidate is drafted, what evidence can tell right from wrong, what the Reviewer is shown and how the
Refiner is asked. Coding (``kinds/coding``) runs code against checks; the general kind
(``kinds/general``) answers with values, checked by programs run in the sandbox and by agreement.
Kinds are registered in :mod:`triloop.kinds.registry` and injected into the graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol

from triloop.agents.base import AgentContext
from triloop.agents.models import Candidate, Feedback
from triloop.graphs.state import StrategyPlan


class Kind(Protocol):
    """What the graph calls; ``run`` is the graph state (or a task payload of it), read-only here."""

    name: str
    review_top: int  # candidates reviewed and refined per round, unless the run's config says otherwise
    first_drafts: int  # drafts sent before the rest of k, which follow only if these do not settle (0: all)
    unsure_pick: Literal["best", "vote"]  # an answer nothing verified: the best-scored, or the weighted vote

    def widen_for(self, run: Mapping[str, Any]) -> int:
        """Extra drafts before the first review of a problem round 0 did not settle (0: none)."""
        ...

    def claims(self, run: Mapping[str, Any]) -> bool:
        """Whether the task is this kind's by its shape alone (no model call): a stub, tests, ..."""
        ...

    def prepare(self, ctx: AgentContext, run: Mapping[str, Any]) -> dict[str, Any]:
        """State updates at intake, once the task is this kind's (coding: the function and its examples)."""
        ...

    def wants_checks(self, run: Mapping[str, Any], plan: StrategyPlan) -> bool:
        """Whether checks are written (the Tester node) in parallel with the drafts."""
        ...

    def write_checks(self, ctx: AgentContext, run: Mapping[str, Any]) -> dict[str, Any]:
        """The Tester node's state updates."""
        ...

    def draft(
        self, ctx: AgentContext, run: Mapping[str, Any], *, index: int, cid: str, temperature: float
    ) -> Candidate:
        """Candidate number ``index`` (drafted in its own parallel task)."""
        ...

    def verify(
        self, ctx: AgentContext, candidate: Candidate, run: Mapping[str, Any], plan: StrategyPlan
    ) -> Candidate:
        """Evidence about one candidate, in its own task (after drafting or refining)."""
        ...

    def evaluate(self, pool: list[Candidate], run: Mapping[str, Any], plan: StrategyPlan, emit: Any) -> None:
        """Pool-level evidence and scores (agreement between candidates), in place."""
        ...

    def keeps(self, refined: Candidate, parent: Candidate) -> bool:
        """Whether ``refined`` may replace ``parent`` (else it is rejected: never accept worse)."""
        ...

    def review(
        self,
        ctx: AgentContext,
        target: Candidate,
        run: Mapping[str, Any],
        plan: StrategyPlan,
        others: list[Candidate],
    ) -> Feedback:
        """Targeted feedback on ``target``, grounded in its evidence."""
        ...

    def refine(
        self,
        ctx: AgentContext,
        target: Candidate,
        feedback: Feedback,
        run: Mapping[str, Any],
        plan: StrategyPlan,
        *,
        cid: str,
        round_: int,
        temperature: float,
    ) -> Candidate:
        """A new candidate whose parent is ``target``."""
        ...
