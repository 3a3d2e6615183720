"""The general kind: the person wants an answer (a number, a date, a word, a text), not code.

Quantitative questions are drafted two independent ways, alternating: a program that prints the answer
(run in the sandbox) and numbered reasoning (its arithmetic recomputed). Answers are compared as values
(:mod:`.answers`); two drafts by different methods that agree settle the question in two model calls.
Only where they disagree or a check fails does the loop draft more, then review and refine.

Open questions (nothing to compute) keep the step-scored reasoning path with tool calls
(:mod:`triloop.agents.solver`, :mod:`.open_verify`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from triloop.agents.base import AgentContext
from triloop.agents.errors import AgentParseError
from triloop.agents.meter import BudgetExhausted
from triloop.agents.models import Candidate, Feedback, ReviewReply
from triloop.agents.refiner import refine as refine_open
from triloop.agents.reviewer import review as review_open
from triloop.agents.reviewer import step_scores
from triloop.agents.solver import solve as solve_open
from triloop.graphs import scoring
from triloop.graphs.state import SolveConfig, StrategyPlan
from triloop.kinds.general import drafts, prompts
from triloop.kinds.general.answers import display
from triloop.kinds.general.open_verify import verify_candidate
from triloop.kinds.general.verify import checks_written_arithmetic, value_evidence
from triloop.kinds.general.written import written_arithmetic
from triloop.kinds.wording import asks_for_text
from triloop.tools.base import Tool

#: Greedy first (the program, then the reasoning that is the plain call), then sampled.
DRAFT_TEMPERATURES = (0.0, 0.0, 0.7, 0.7, 1.0)

_QUANTITY = re.compile(
    r"\d|\b(?:how (?:many|much|long|old|far)|count|calculate|compute|sum|product|total|average|mean|"
    r"percent|probability|prime|multiple|divisor|factor|remainder|digits?|days?|weeks?|months?|years?|"
    r"hours?|minutes?|date|weekday|leap|older|younger|price|cost|cheaper|faster|ratio|twice|half)\b",
    re.IGNORECASE,
)


def methods_for(question: str) -> tuple[str, str]:
    """The first two drafts' methods: a program and reasoning, which fail differently; but when the
    question is a written-out computation ("123457 * 654323"), reasoning only slips digits (a model
    multiplying 6-digit numbers in words is wrong more often than not), so a second program, sampled,
    is the better second opinion. A word problem with a "1/3" in it keeps both methods."""
    return ("program", "program") if written_arithmetic(question) else ("program", "reasoning")


def _max_tool_calls(run: Mapping[str, Any]) -> int:
    """The run's per-candidate tool-call budget (SolveConfig's default when the run names none)."""
    config = run.get("config") or {}
    return config.get("max_tool_calls", SolveConfig.model_fields["max_tool_calls"].default)


def is_quantitative(question: str) -> bool:
    """Whether the answer is a value something can compute (a program draft can help); a text to write
    or an explanation is not, even with numbers in it ("a haiku about 2 cats")."""
    return bool(_QUANTITY.search(question)) and not asks_for_text(question)


class GeneralKind:
    """Values checked by execution, recomputation and agreement across methods; open answers by steps."""

    name = "general"
    review_top = 1  # a review + refinement costs two long prompts; one per round
    # two drafts by different methods that agree settle it; the third only when they do not
    first_drafts = 2
    # a value nothing verified: the score-weighted vote. Wrong drafts rarely agree on one wrong value,
    # and a refinement that reads a review often trades a right value for another (gsm_symbolic seed 0
    # partial: the vote of 3 drafts right on 4 of 11 unsure questions, the best-scored on 2)
    unsure_pick = "vote"

    def __init__(self, tools: Mapping[str, Tool]) -> None:
        self.tools = dict(tools)

    def widen_for(self, run: Mapping[str, Any]) -> int:
        """Values: two more drafts (reasoning and a program, sampled) before any review when three do not
        settle it; a draft costs ~300 tokens, a review + refinement ~1,500, and on gsm_symbolic seed 1
        (dev) refinements repeated their parent's answer on 4 of 4 unsure questions. Open questions: none
        (their drafts are tool loops, long and not compared as values)."""
        return 2 if self._by_value(run) else 0

    # --- intake ----------------------------------------------------------------------------------

    def claims(self, run: Mapping[str, Any]) -> bool:
        return False  # an answer is what is left when no kind claims a task: the decision falls to it

    def prepare(self, ctx: AgentContext, run: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def wants_checks(self, run: Mapping[str, Any], plan: StrategyPlan) -> bool:
        return False

    def write_checks(self, ctx: AgentContext, run: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    # --- drafting --------------------------------------------------------------------------------

    def _by_value(self, run: Mapping[str, Any]) -> bool:
        return "run_python" in self.tools and is_quantitative(run["task"])

    def draft(
        self, ctx: AgentContext, run: Mapping[str, Any], *, index: int, cid: str, temperature: float
    ) -> Candidate:
        if not self._by_value(run):
            return solve_open(
                ctx,
                task=run["task"],
                plan=run.get("plan", ""),
                context=run.get("context", ""),
                cid=cid,
                index=index,
                temperature=temperature,
                tools=self.tools,
                max_tool_calls=_max_tool_calls(run),
            )
        if index == 0 and (written := written_arithmetic(run["task"])):  # the question is the program
            origin = drafts.Origin(cid=cid, temperature=0.0, purpose=f"solve:{cid}")
            return drafts.written_program_candidate(ctx, self.tools, written, origin)
        first = methods_for(run["task"])
        method = first[index] if index < 2 else ("program", "reasoning")[index % 2]
        temp = DRAFT_TEMPERATURES[min(index, len(DRAFT_TEMPERATURES) - 1)]
        if index == 1 and method == "program":  # a second program at greedy would repeat the first
            temp = DRAFT_TEMPERATURES[2]
        return drafts.draft(ctx, self.tools, run, method=method, cid=cid, temperature=temp)

    # --- evidence --------------------------------------------------------------------------------

    def verify(
        self, ctx: AgentContext, candidate: Candidate, run: Mapping[str, Any], plan: StrategyPlan
    ) -> Candidate:
        if candidate.method is None:
            return verify_candidate(
                ctx, candidate, task=run["task"], tests=run.get("tests"), tools=self.tools, plan=plan
            )
        candidate.answer = drafts.as_asked(candidate.answer, run["task"])
        candidate.evidence = value_evidence(candidate, written_arithmetic(run["task"]))
        candidate.failing_evidence = any(e.passed is False for e in candidate.evidence)
        own = scoring.execution_component(candidate.evidence)
        candidate.components = {"execution": own} if own is not None else {}
        if plan.step_scoring and not plan.refine and candidate.steps:  # best-of-k picks by step scores
            try:
                candidate.step_scores = step_scores(ctx, task=run["task"], candidate=candidate)
            except BudgetExhausted:
                candidate.step_scores = []
            steps = scoring.steps_component(candidate.step_scores)
            if steps is not None:
                candidate.components["steps"] = steps
        checked = [e.model_dump() for e in candidate.evidence]
        answer = display(candidate.answer) if candidate.answer else ""
        ctx.emit({"type": "evidence", "candidate": candidate.id, "answer": answer, "evidence": checked})
        return candidate

    def evaluate(self, pool: list[Candidate], run: Mapping[str, Any], plan: StrategyPlan, emit: Any) -> None:
        """Agreement of answers (one vote per lineage). Verified: an answer reached by a program that ran
        and by reasoning whose arithmetic holds (two methods that fail differently agree on it), or one
        equal to the arithmetic the question writes out, evaluated exactly."""
        agree = scoring.agreement(pool)
        keys = {c.id: scoring.answer_key(c) for c in pool}
        clean = [c for c in pool if c.status == "active" and not c.failing_evidence and c.answer.strip()]
        clean_ids = {c.id for c in clean}
        methods: dict[str, set[str]] = {}
        for cand in clean:
            methods.setdefault(keys[cand.id], set()).add(cand.method or "open")
        for cand in pool:
            if cand.id in agree:
                cand.components["agreement"] = agree[cand.id]
            if cand.method is not None:
                both = {"program", "reasoning"} <= methods.get(keys[cand.id], set())
                written = checks_written_arithmetic(cand)
                cand.verified_by_code = (both or written) and cand.id in clean_ids
            cand.score = scoring.combine(cand)

    def keeps(self, refined: Candidate, parent: Candidate) -> bool:
        return (refined.score or 0.0) >= (parent.score or 0.0)

    # --- review + refine -------------------------------------------------------------------------

    def review(
        self,
        ctx: AgentContext,
        target: Candidate,
        run: Mapping[str, Any],
        plan: StrategyPlan,
        others: list[Candidate],
    ) -> Feedback:
        if target.method is None:
            return review_open(
                ctx,
                task=run["task"],
                candidate=target,
                others=[o.answer for o in others],
                role=plan.critic_role,
                self_critique=plan.critic_role == "solver",
            )
        found = [f"- {e.detail}" for e in target.evidence if e.passed is False]
        answers = sorted({display(o.answer) for o in others if o.answer and o.id != target.id})
        if answers:
            found.append(f"- other drafts answered: {', '.join(answers)}")
        evidence = "Evidence:\n" + "\n".join(found) + "\n\n" if found else ""
        text = prompts.REVIEW.format(question=run["task"], solution=drafts.render(target), evidence=evidence)
        try:
            reply = ctx.complete_json(
                [{"role": "user", "content": text}], ReviewReply, role=plan.critic_role, purpose="review"
            )
        except AgentParseError:
            reply = ReviewReply(why="the review could not be read", change="check every step again")
        return Feedback(
            candidate_id=target.id, wrong_step=reply.wrong_step, why=reply.why, change=reply.change
        )

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
        if target.method is None:
            return refine_open(
                ctx,
                task=run["task"],
                candidate=target,
                feedback=feedback,
                cid=cid,
                round_=round_,
                tools=self.tools,
                max_tool_calls=_max_tool_calls(run),
                temperature=temperature,
                role=plan.refiner_role,
            )
        return drafts.refine(
            ctx,
            self.tools,
            target,
            feedback,
            run,
            cid=cid,
            round_=round_,
            temperature=temperature,
            role=plan.refiner_role,
        )
