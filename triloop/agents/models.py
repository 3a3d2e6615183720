"""Typed records the agents produce and the graph stores.

The graph keeps these as plain JSON dicts in its state (``model_dump(mode="json")``) so sqlite
checkpoints stay portable and need no pickle/msgpack allow-lists; the models validate at the edges.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from triloop.llm.base import Completion


class LLMCall(BaseModel):
    """The cost of one model call, taken from its :class:`Completion` (budgets are counted from these)."""

    role: str
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    purpose: str = ""

    @classmethod
    def of(cls, completion: Completion, purpose: str) -> LLMCall:
        return cls(
            role=completion.role,
            model=completion.model,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            latency_s=completion.latency_s,
            purpose=purpose,
        )


class ToolCall(BaseModel):
    """One tool call a candidate made, with a summary of its result (the execution evidence)."""

    tool: str
    args: dict = Field(default_factory=dict)
    ok: bool
    output: str = ""
    data: dict = Field(default_factory=dict)
    latency_s: float = 0.0


class Evidence(BaseModel):
    """One piece of verification evidence about a candidate."""

    kind: Literal[
        "tool",
        "code_run",
        "tests",
        "recompute",
        "written_arithmetic",  # the answer against the computation the question writes out
        "answer",
        "step_score",
        "doctests",
        "generated_tests",
    ]
    passed: bool | None = None  # None: informative only (e.g. a score)
    detail: str = ""
    step: int | None = None  # 1-based step it concerns, if any
    share: float | None = None  # fraction of its checks that passed, where counted (tests)

    @classmethod
    def of_tests(cls, result: Any) -> Evidence:
        """The task's tests (a ``run_tests`` ToolResult): pass/fail, the runner's report (failing checks
        first) and the share that passed."""
        passed, total = result.data.get("checks_passed"), result.data.get("checks_total")
        share = passed / total if isinstance(passed, int) and isinstance(total, int) and total else None
        return cls(kind="tests", passed=result.ok, detail=result.output[:800], share=share)


class Candidate(BaseModel):
    """A solution: numbered steps ending in a final answer, plus its evidence and scores."""

    id: str
    parent_id: str | None = None
    round: int = 0
    temperature: float = 0.0
    steps: list[str] = Field(default_factory=list)
    answer: str = ""
    stated_answer: bool = True  # the model wrote a "Final answer:" line (else answer is a guess from text)
    code: str | None = None  # the last code block, for coding tasks
    raw: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    step_scores: list[float] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    verified_by_code: bool = False  # no evidence failed, and code checked the answer (tests/recompute/run)
    failing_evidence: bool = False
    score: float | None = None
    components: dict[str, float] = Field(default_factory=dict)
    status: Literal["active", "replaced", "rejected"] = "active"
    report: dict | None = None  # coding: the checks it was run on and what each call returned
    behaviour: str | None = None  # coding: its behaviour cluster; what votes and agreement compare
    method: Literal["program", "reasoning"] | None = None  # general: how the answer was reached


class StepScores(BaseModel):
    """The Reviewer's PRM-style judgement: one 0..1 correctness value per step."""

    scores: list[float] = Field(default_factory=list)


class ReviewReply(BaseModel):
    """What a Reviewer model is asked to write: the wrong step, why (citing evidence), what to change."""

    candidate_id: str = ""
    wrong_step: int | None = None
    why: str = ""
    change: str = ""


class Feedback(ReviewReply):
    """Targeted review of one candidate, as it travels to the Refiner."""

    # the failing check ``why`` is about, as the task kind recorded it (coding: a CheckOutcome), so the
    # refinement can be run on that very check without finding it again; never asked of a model
    check: dict[str, Any] | None = None


class Usage(BaseModel):
    """Running cost of a run; summed across parallel nodes by the state reducer."""

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tool_calls: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
