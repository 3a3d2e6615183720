"""The solve graph's typed state, per-run configuration, budgets and strategies.

State values are JSON-able dicts (candidates as ``Candidate.model_dump(mode="json")``) so sqlite
checkpoints are portable. Reducers let parallel candidate tasks write to the same keys: candidates and
feedback merge by id, usage adds up.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

from triloop.errors import TriloopError

StrategyName = Literal["single", "sc", "bok", "self-refine", "triloop"]
STRATEGIES: tuple[StrategyName, ...] = ("single", "sc", "bok", "self-refine", "triloop")
StoppedBy = Literal["easy", "verified", "done", "no_improvement", "budget"]
#: What a person is told about an answer: settled by agreement of checked drafts, verified by evidence,
#: or unsure (anything else). Benchmarks count how often each label was right.
Outcome = Literal["easy", "verified", "unsure"]
OUTCOME_LABELS: dict[str, str] = {"easy": "settled easy", "verified": "verified", "unsure": "unsure"}


def outcome_of(stopped_by: str, verified: bool) -> Outcome:
    """The label of a result: ``easy`` when drafts agreed and passed their checks, ``verified`` when the
    chosen answer's evidence passes, else ``unsure`` (no improvement, budget, an unchecked answer)."""
    if stopped_by == "easy":
        return "easy"
    return "verified" if verified else "unsure"


class GraphError(TriloopError):
    """Base of errors raised by the solve graph."""


class SolveInputError(GraphError):
    """A solve request is invalid (empty task, unknown strategy, missing tests file)."""

    exit_code = 2


class UnknownRunError(GraphError):
    """No checkpoint exists for the given run id."""


class Budgets(BaseModel):
    """Per-run limits: booked before every model call (see ``agents/meter.py``) and checked at triage."""

    max_llm_calls: int = Field(60, ge=1)
    max_tokens: int = Field(200_000, ge=1)
    max_wall_s: float = Field(1800.0, gt=0)
    max_rounds: int = Field(3, ge=0, description="refinement rounds (a budget too)")


class SolveConfig(BaseModel):
    """Everything that shapes one run; stored in the state so ``resume`` needs no flags."""

    strategy: StrategyName = "triloop"
    k: int = Field(3, ge=1, le=16, description="candidates drafted in parallel")
    temperatures: list[float] = Field(default_factory=lambda: [0.2, 0.7, 1.0])
    max_tool_calls: int = Field(3, ge=0, description="per-candidate tool-call budget (SMART)")
    max_tokens_per_call: int | None = Field(None, gt=0)
    review_top: int | None = Field(
        None, ge=1, description="candidates reviewed and refined per round (None: the task kind's default)"
    )
    widen: int | None = Field(
        None,
        ge=0,
        description="extra drafts for a problem round 0 did not settle, before any review "
        "(None: the task kind's default)",
    )
    first_drafts: int | None = Field(
        None,
        ge=0,
        description="drafts sent first; the rest of k only if they do not settle it easily "
        "(adaptive consistency; 0: all k at once; None: the task kind's default)",
    )
    easy_agreement: float = Field(0.6, ge=0, le=1, description="score-weighted vote share to call it easy")
    easy_score: float = Field(0.7, ge=0, le=1)
    verify_score: float = Field(0.8, ge=0, le=1)
    min_improvement: float = Field(0.01, ge=0, description="adaptive stop: needed gain of the best score")
    recheck: bool = Field(
        False,
        description="coding: run the failing check on each refinement at once; one that still returns "
        "its parent's wrong value gets one more turn (an experiment: off until a bench run measures it)",
    )
    patience: int = Field(
        0,
        ge=0,
        description="rounds that may gain nothing before the adaptive stop, while the best candidate still "
        "fails a hard check (a task example, the user's tests): its answer is known to be wrong "
        "(off by default: on HumanEval 0-59 one such round fixed none of the problems it ran on)",
    )
    interactive: bool = False
    budgets: Budgets = Field(default_factory=Budgets)

    def temperature(self, index: int) -> float:
        return self.temperatures[index % len(self.temperatures)] if self.temperatures else 0.2


class StrategyPlan(BaseModel):
    """How a strategy uses the one code path: how many drafts, who scores, whether to refine."""

    k: int
    step_scoring: bool
    scorer_role: Literal["reviewer", "solver"] = "reviewer"
    refine: bool
    critic_role: Literal["reviewer", "solver"] = "reviewer"
    refiner_role: Literal["refiner", "solver"] = "refiner"
    settle: Literal["best", "majority", "weighted"]


def plan_for(config: SolveConfig) -> StrategyPlan:
    """The plan of ``config.strategy``."""
    match config.strategy:
        case "single":
            return StrategyPlan(k=1, step_scoring=False, refine=False, settle="best")
        case "sc":
            return StrategyPlan(k=config.k, step_scoring=False, refine=False, settle="majority")
        case "bok":
            return StrategyPlan(k=config.k, step_scoring=True, refine=False, settle="best")
        case "self-refine":
            return StrategyPlan(
                k=1,
                step_scoring=True,
                scorer_role="solver",
                refine=True,
                critic_role="solver",
                refiner_role="solver",
                settle="best",
            )
        case _:
            return StrategyPlan(k=config.k, step_scoring=True, refine=True, settle="weighted")


def merge_by_id(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer: entries keyed by id; a later write of the same id replaces the earlier one."""
    return {**(left or {}), **(right or {})}


def latest_round(left: int | None, right: int | None) -> int:
    """Reducer: parallel review tasks all report the round they belong to; keep the highest."""
    return max(left or 0, right or 0)


def add_usage(left: dict[str, int] | None, right: dict[str, int] | None) -> dict[str, int]:
    """Reducer: usage counters add up across nodes and parallel tasks."""
    out = dict(left or {})
    for key, value in (right or {}).items():
        out[key] = out.get(key, 0) + value
    return out


class SolveInput(TypedDict, total=False):
    """What a run starts from."""

    run_id: str
    task: str
    kind: str | None  # an explicit task kind (see triloop/kinds/names.py): skips the kind decision
    tests: str | None
    entry_point: str | None  # coding: the function to write (else read from a stub in the task)
    signature: str | None  # coding: e.g. "def f(x: int) -> int"
    config: dict[str, Any]


class SolveState(SolveInput, total=False):
    """The whole state of a run."""

    plan: str
    spec: dict[str, Any]  # coding: the task's examples and the Tester's generated tests (CodeSpec)
    context: str
    started_at: float
    wall_from: float  # set by "continue" after a budget pause: the wall-time budget counts from here
    candidates: Annotated[dict[str, dict[str, Any]], merge_by_id]
    feedback: Annotated[dict[str, dict[str, Any]], merge_by_id]
    usage: Annotated[dict[str, int], add_usage]
    round: Annotated[int, latest_round]
    best_history: list[float]
    widened: bool  # the extra drafts for a hard problem were sent (once per run)
    budget_extensions: int
    decision: str
    stopped_by: str | None
    reason: str
    result: dict[str, Any]


class SolveResult(BaseModel):
    """What a run returns: the answer, its evidence, and the cost."""

    run_id: str
    strategy: str
    kind: str = "general"  # what the person wanted: an answer (general) or code (coding)
    answer: str
    code: str | None = None
    candidate_id: str | None = None
    score: float | None = None
    verified: bool = False
    evidence: list[dict[str, Any]] = Field(default_factory=list)
    checks: list[dict[str, Any]] = Field(default_factory=list)  # coding: each check the code was run on
    agreement: float | None = None  # the share of the pool's agreement the answer had (CodeT for code)
    stopped_by: str
    outcome: Outcome = "unsure"  # what the person is told: settled easy, verified, unsure
    reason: str = ""
    rounds: int = 0
    usage: dict[str, int] = Field(default_factory=dict)
    wall_s: float = 0.0
