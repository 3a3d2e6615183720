"""What the bench compares: a strategy turns a problem into final code (or, for a question, an answer)
plus its cost.

``plain`` is one chat completion with no graph: the anchor every user compares with, since a
multi-agent loop is only worth its tokens if it beats asking once. The graph strategies (``single``,
``sc``, ``bok``, ``self-refine``, ``triloop``) run the solve graph with memory off, so runs are
independent and the order of problems cannot leak answers between them. A question goes to the graph
as the ``general`` kind, so the run never spends a call deciding what kind of task it is.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from pydantic import BaseModel

from triloop.bench.errors import BenchInputError
from triloop.bench.problems import BenchProblem, Problem
from triloop.bench.questions import ValueProblem
from triloop.errors import validation_problems

if TYPE_CHECKING:
    from triloop.graphs.state import SolveConfig
    from triloop.llm.base import LLM
    from triloop.tools.base import Tool

GRAPH_STRATEGIES = ("single", "sc", "bok", "self-refine", "triloop")
STRATEGY_NAMES = ("plain", *GRAPH_STRATEGIES)
#: What ``triloop bench`` runs when no ``--strategy`` is given.
DEFAULT_STRATEGIES = ("plain", "single", "sc", "self-refine", "triloop")

PLAIN_MAX_TOKENS = 768
#: A question's plain call reasons in steps before its answer line: more room than a code block needs.
PLAIN_ANSWER_MAX_TOKENS = 1024


class PoolMember(BaseModel):
    """One candidate a graph strategy drafted or refined, for telling apart a pool that never held a
    right answer (generation) from one whose checks picked a wrong one (selection).

    ``hidden`` is filled in by the harness (``--pools``) after the run, for analysis only: the run
    itself never sees hidden tests.
    """

    id: str
    parent_id: str | None = None
    round: int = 0
    temperature: float = 0.0
    status: str = "active"
    score: float | None = None
    behaviour: str | None = None
    chosen: bool = False
    checks: dict[str, str] = {}  # source -> "passed/total" ("doctest", "generated")
    errors: dict[str, int] = {}  # source -> checks that raised, timed out or crashed
    code: str | None = None
    hidden: bool | None = None
    # the checks it ran and what each returned (a RunReport without its printed output), so analyses
    # can replay clustering and selection rules on the very same runs
    report: dict[str, Any] | None = None
    # questions: the candidate's answer and how it was reached (program | reasoning), scored by the
    # question's own scorer for ``hidden``
    answer: str | None = None
    method: str | None = None


class Attempt(BaseModel):
    """One strategy's answer to one problem: the final code (None = no answer), for a question the answer
    (None = no answer), and what it cost.

    ``note`` says why there is no code or answer when that is not an exception (e.g. the extractor's
    defect); ``pool`` holds a graph strategy's candidates (coding only); ``outcome`` is what the team told
    the person about its answer (``easy``, ``verified``, ``unsure``; empty for ``plain``, which says
    nothing about its answer).
    """

    code: str | None
    answer: str | None = None
    outcome: str = ""
    calls: int
    prompt_tokens: int
    completion_tokens: int
    wall_s: float
    rounds: int = 0
    stopped_by: str = ""
    error: str | None = None
    note: str | None = None
    pool: list[PoolMember] = []


class Strategy(Protocol):
    """Anything with a name that answers a problem. Exceptions are the harness's to record."""

    name: str

    def run(self, problem: Problem) -> Attempt: ...


def answer_of_reply(text: str) -> str | None:
    """The answer a reply gives, read as the general kind's drafts read it (:func:`reply_answer`); None for
    an empty reply."""
    from triloop.kinds.general.answers import reply_answer

    answer, stated = reply_answer(text)
    return answer if stated or answer else None


class PlainStrategy:
    """One completion at temperature 0, code (or a question's answer) taken from the reply: no tools, no
    review, no retry."""

    name = "plain"

    def __init__(
        self,
        llm: LLM,
        *,
        max_tokens: int = PLAIN_MAX_TOKENS,
        answer_max_tokens: int = PLAIN_ANSWER_MAX_TOKENS,
    ) -> None:
        self.llm = llm
        self.max_tokens = max_tokens
        self.answer_max_tokens = answer_max_tokens

    def run(self, problem: Problem) -> Attempt:
        if isinstance(problem, ValueProblem):
            return self._answer(problem)
        return self._code(problem)

    def _answer(self, problem: ValueProblem) -> Attempt:
        from triloop.kinds.general.prompts import reason_messages

        started = time.perf_counter()
        # the general kind's reasoning prompt: its greedy draft is this call's answer
        reply = self.llm.complete(
            reason_messages(problem.question), temperature=0.0, max_tokens=self.answer_max_tokens
        )
        answer = answer_of_reply(reply.text)
        return Attempt(
            code=None,
            answer=answer,
            calls=1,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            wall_s=time.perf_counter() - started,
            stopped_by="done",
            note=None if answer else "empty reply",
        )

    def _code(self, problem: BenchProblem) -> Attempt:
        from triloop.kinds.coding.extract import extract_code  # the coding kind is optional at import time
        from triloop.kinds.coding.kind import draft_messages

        started = time.perf_counter()
        # the very prompt of the coding kind's drafts: its greedy draft is this call's answer
        messages = draft_messages(problem.prompt, problem.entry_point)
        reply = self.llm.complete(messages, temperature=0.0, max_tokens=self.max_tokens)
        extraction = extract_code(reply.text, entry_point=problem.entry_point, prompt=problem.prompt)
        return Attempt(
            code=extraction.code,
            calls=1,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            wall_s=time.perf_counter() - started,
            stopped_by="done",
            note=None if extraction.code else extraction.defect,
        )


class GraphStrategy:
    """One run of the solve graph with ``config.strategy``; the graph may be shared by several strategies
    (the strategy travels in each run's input)."""

    def __init__(self, graph: Any, config: SolveConfig) -> None:
        self.graph = graph
        self.config = config
        self.name: str = config.strategy

    def run(self, problem: Problem) -> Attempt:
        from triloop.graphs.state import SolveResult

        started = time.perf_counter()
        run_id = f"bench-{self.name}-{uuid.uuid4().hex[:8]}"
        graph_input: dict[str, Any] = {"run_id": run_id, "config": self.config.model_dump(mode="json")}
        if isinstance(problem, ValueProblem):
            graph_input.update(task=problem.question, kind="general")
        else:
            graph_input.update(task=problem.prompt, entry_point=problem.entry_point)
        state = self.graph.invoke(
            graph_input, config={"configurable": {"thread_id": run_id}, "recursion_limit": 200}
        )
        result = SolveResult.model_validate(state["result"])
        usage = result.usage
        question = isinstance(problem, ValueProblem)
        return Attempt(
            code=result.code,
            answer=(result.answer.strip() or None) if question else None,
            outcome=result.outcome,
            calls=usage.get("llm_calls", 0),
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            wall_s=time.perf_counter() - started,
            rounds=result.rounds,
            stopped_by=result.stopped_by,
            pool=(answer_pool_of if question else pool_of)(
                state.get("candidates") or {}, result.candidate_id
            ),
        )


def _member_fields(cand: dict[str, Any], chosen: str | None) -> dict[str, Any]:
    """What every pool member records of a dumped candidate: where it came from, its score, its code."""
    return {
        "id": cand["id"],
        "parent_id": cand.get("parent_id"),
        "round": cand.get("round", 0),
        "temperature": cand.get("temperature", 0.0),
        "status": cand.get("status", "active"),
        "score": cand.get("score"),
        "chosen": cand["id"] == chosen,
        "code": cand.get("code"),
    }


def answer_pool_of(candidates: dict[str, Any], chosen: str | None) -> list[PoolMember]:
    """A question's candidates: each one's answer, method and score (the harness scores the answers)."""
    return [
        PoolMember(
            **_member_fields(cand, chosen), answer=cand.get("answer") or None, method=cand.get("method")
        )
        for cand in candidates.values()
    ]


def pool_of(candidates: dict[str, Any], chosen: str | None) -> list[PoolMember]:
    """The run's candidates (the state's dumped :class:`~triloop.agents.models.Candidate`s) in the
    state's order, with the checks of each source each one passed and those that did not return."""
    from triloop.kinds.coding.checks import RunReport

    members = []
    for cand in candidates.values():
        report = RunReport.model_validate(cand.get("report") or {"loaded": True})
        sources = dict.fromkeys(o.source for o in report.outcomes)
        errors = {s: sum(o.source == s and not o.returned for o in report.outcomes) for s in sources}
        members.append(
            PoolMember(
                **_member_fields(cand, chosen),
                behaviour=cand.get("behaviour"),
                checks={s: f"{report.passed(s)}/{report.total(s)}" for s in sources},
                errors={s: n for s, n in errors.items() if n},
                report=report.model_dump(mode="json", exclude={"printed"}) if cand.get("report") else None,
            )
        )
    return members


class StrategySpec(NamedTuple):
    """A strategy as named on the command line: ``NAME[:K][+FIELD=VALUE...]``."""

    base: str
    k: int | None  # None: the run's --k
    overrides: dict[str, str]  # SolveConfig fields of this variant, e.g. {"widen": "4"}


def split_strategy(name: str) -> StrategySpec:
    """``"sc:6"`` -> sc with its own k (e.g. twice triloop's, in the same run); ``"triloop+widen=4"``
    -> triloop with ``SolveConfig.widen = 4``, so two configurations meet the same problems in one run
    (a side-by-side measurement, not one against an older run)."""
    head, *pairs = name.split("+")
    base, _, k = head.partition(":")
    overrides: dict[str, str] = {}
    for pair in pairs:
        field, eq, value = pair.partition("=")
        if not eq or not field or not value:
            raise BenchInputError(f"bad strategy {name!r}: write NAME+FIELD=VALUE, e.g. triloop+widen=4")
        overrides[field] = value
    if overrides and base not in GRAPH_STRATEGIES:
        raise BenchInputError(f"bad strategy {name!r}: only graph strategies take +FIELD=VALUE")
    if not k:
        return StrategySpec(base, None, overrides)
    if base not in GRAPH_STRATEGIES or not k.isdigit() or not 1 <= int(k) <= 16:
        raise BenchInputError(f"bad strategy {name!r}: write NAME:K with K in 1..16, e.g. sc:6")
    return StrategySpec(base, int(k), overrides)


def variant_config(config: SolveConfig, name: str) -> SolveConfig:
    """``config`` for the strategy ``name``: its base strategy, its k and its field overrides, validated
    (a bad field or value is a :class:`BenchInputError`), never interactive (a bench never stops to ask)."""
    from pydantic import ValidationError

    from triloop.graphs.state import SolveConfig

    spec = split_strategy(name)
    unknown = sorted(set(spec.overrides) - set(SolveConfig.model_fields))
    if unknown:
        raise BenchInputError(f"bad strategy {name!r}: no solve setting named {', '.join(unknown)}")
    update: dict[str, Any] = {**spec.overrides, "strategy": spec.base, "interactive": False}
    if spec.k:
        update["k"] = spec.k
    try:
        return SolveConfig.model_validate({**config.model_dump(), **update})
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise BenchInputError(f"bad strategy {name!r}: {problems}") from None


def parse_strategies(names: Sequence[str] | None) -> list[str]:
    """Validated strategy names (``NAME``, ``NAME:K``, ``NAME+FIELD=VALUE``) in the order given,
    duplicates dropped; the defaults when none."""
    if not names:
        return list(DEFAULT_STRATEGIES)
    chosen: list[str] = []
    for raw in names:
        for name in (part.strip().lower() for part in raw.split(",")):
            if not name:
                continue
            base = split_strategy(name).base
            if base not in STRATEGY_NAMES:
                raise BenchInputError(f"unknown strategy {name!r}; choose from {', '.join(STRATEGY_NAMES)}")
            if base in GRAPH_STRATEGIES:
                from triloop.graphs.state import SolveConfig

                variant_config(SolveConfig(), name)  # a bad field fails before anything loads
            if name not in chosen:
                chosen.append(name)
    if not chosen:
        raise BenchInputError(f"no strategy given; choose from {', '.join(STRATEGY_NAMES)}")
    return chosen


def build_strategies(
    names: Sequence[str], llm: LLM, *, tools: Sequence[Tool], config: SolveConfig
) -> list[Strategy]:
    """The strategies ``names`` on one LLM; graph strategies share one graph (memory off) and ``tools``.

    ``config`` is the base solve config; each graph strategy gets a copy with its own ``strategy`` and
    ``interactive=False`` (a bench never stops to ask).
    """
    from triloop.graphs.builder import build_solve_graph

    graph = None
    built: list[Strategy] = []
    for name in parse_strategies(names):
        if name == "plain":
            built.append(PlainStrategy(llm))
            continue
        if graph is None:
            graph = build_solve_graph(llm, tools=list(tools), memory=None, config=config)
        strategy = GraphStrategy(graph, variant_config(config, name))
        strategy.name = name
        built.append(strategy)
    return built
