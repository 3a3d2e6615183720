"""Which kind a task is (triloop.kinds.decide) and which kinds the graph runs (triloop.kinds.registry).

The order is fixed, cheapest first: a kind the caller names > a kind's claim on the task's shape > the
wording > one model call > the default (an answer). The model is the scripted FAKE LLM of tests/graphs:
a call nobody scripted fails the test, so "no model call" is checked by giving it no rules.
"""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from tests.graphs.fake_llm import Rule, ScriptedFakeLLM, kind_rule
from triloop.agents.base import AgentContext
from triloop.agents.meter import CallMeter
from triloop.graphs.builder import build_solve_graph
from triloop.graphs.state import SolveConfig
from triloop.kinds.decide import by_wording, decide_kind
from triloop.kinds.registry import UnknownKindError, default_kinds

# mentions Python, asks for neither code nor a result: the model decides (code delivered, or an answer?)
OPEN = "How do I reverse a list in Python?"
STUB = 'def double(x: int) -> int:\n    """Twice x.\n    >>> double(2)\n    4\n    """\n'


def ctx(*rules: Rule) -> tuple[AgentContext, ScriptedFakeLLM]:
    llm = ScriptedFakeLLM(list(rules))
    return AgentContext(llm=llm), llm


# --- by_wording: clear cases each way, and the ones it leaves to the model ------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Write a Python function that checks whether a number is prime.",
        "Implement an LRU cache with get and put.",
        "Could you write a bash script that renames every file in a folder?",
        "write a flask endpoint that returns the reply as JSON",  # "reply" inside a code request
        "Fix this code:\n```python\ndef f(x):\n    return x +\n```",
        "It doesn't work, why?\n```python\nprint(undefined)\n```",
    ],
)
def test_a_request_for_code_is_coding_by_its_wording(text):
    decision = by_wording(text)
    assert decision is not None and (decision.kind, decision.by) == ("coding", "wording"), decision


@pytest.mark.parametrize(
    "text",
    [
        "What is 17 * 23?",
        "How many days are there between March 1 and April 15, 2024?",
        "What is the capital of France?",
        "Write a poem about the sea.",  # "write", but nothing to program
        "Use Python to compute the sum of the first 100 primes.",  # the result, computed with code
        "I just want the number: how many primes are below 100?",
        "What does this print?\n```python\nprint(1 + 1)\n```",  # a question about the code shown
        "Explain what a closure is in JavaScript.",  # an explanation, even of code
        "Write a limerick about a cat who learned to code.",  # a text to write, even about code
        "Write a blog post about Rust.",
        "Write a polite reply to a GitHub issue asking us to keep Python 2 support.",  # a reply is text
        "give me a short rap verse about a python script that never ends",
        "write a one-paragraph intro for the README of my CLI tool",
        "Implement a plan to save money.",  # a plan is not code
    ],
)
def test_a_question_wanting_an_answer_is_general_by_its_wording(text):
    decision = by_wording(text)
    assert decision is not None and (decision.kind, decision.by) == ("general", "wording"), decision


@pytest.mark.parametrize(
    "text",
    [
        OPEN,
        "How does Python evaluate `3*4`?",
        "Tell me about closures in JavaScript.",
        "fix this bug",
        "Write a script for a YouTube video about cooking.",  # "script" alone may be prose
        "Is this code correct?\n```python\nx = 1\n```",  # a question, and a verb that could be a fix
    ],
)
def test_programming_words_without_a_clear_request_are_left_to_the_model(text):
    assert by_wording(text) is None


# --- decide_kind: the order --------------------------------------------------------------------


def test_a_claim_wins_over_the_wording_and_asks_no_model():
    context, llm = ctx()
    decision = decide_kind(context, "What is 2 + 2?", claimed="coding")  # general by its wording alone
    assert (decision.kind, decision.by) == ("coding", "claim")
    assert llm.calls == []


def test_the_wording_wins_over_the_model():
    context, llm = ctx(kind_rule("answer"))
    decision = decide_kind(context, "Write a Python function that reverses a string.")
    assert (decision.kind, decision.by) == ("coding", "wording")
    assert llm.calls == []  # the wording was clear: no kind call


@pytest.mark.parametrize(("deliver", "kind"), [("code", "coding"), ("answer", "general")])
def test_the_model_decides_what_the_wording_leaves_open(deliver, kind):
    context, llm = ctx(kind_rule(deliver))
    decision = decide_kind(context, OPEN)
    assert (decision.kind, decision.by) == (kind, "model")
    assert len(llm.calls) == 1 and llm.calls[0]["last"] == OPEN and llm.calls[0]["temperature"] == 0.0
    assert [c.purpose for c in context.calls] == ["kind"]


def test_an_unreadable_model_reply_defaults_to_an_answer():
    context, llm = ctx(Rule("solver", "", "Hmm, probably some code?"))
    decision = decide_kind(context, OPEN)
    assert (decision.kind, decision.by) == ("general", "default")
    assert len(llm.calls) == 2  # the reply and its one repair round, both unreadable


def test_a_spent_budget_or_no_model_defaults_to_an_answer():
    spent = CallMeter().sync(calls=0, tokens=0, max_calls=0, max_tokens=None, deadline=None)
    llm = ScriptedFakeLLM([kind_rule("code")])
    decision = decide_kind(AgentContext(llm=llm, meter=spent), OPEN)
    assert (decision.kind, decision.by) == ("general", "default") and llm.calls == []
    assert decide_kind(None, OPEN)[:2] == ("general", "default")


# --- the order inside the graph's intake: explicit > claim > wording > model ----------------------


def intake_of(llm: ScriptedFakeLLM, task: str, **extra) -> dict:
    """The intake event of a run that stops right after intake (a budget of one call)."""
    config = SolveConfig(strategy="single", interactive=True, budgets={"max_llm_calls": 1})
    graph = build_solve_graph(llm, config=config, checkpointer=InMemorySaver())
    thread = {"configurable": {"thread_id": "t"}}
    events = graph.stream(
        {"run_id": "t", "task": task, "config": config.model_dump(), **extra}, thread, stream_mode="custom"
    )
    return next(e for e in events if e.get("type") == "intake")


def test_intake_takes_an_explicit_kind_over_the_tasks_shape():
    llm = ScriptedFakeLLM([Rule("solver", "", "1. 4\nFinal answer: 4")])
    named = intake_of(llm, STUB, kind="general")  # a stub the coding kind would claim
    assert (named["kind"], named["decided_by"]) == ("general", "explicit")
    assert not any("Decide what the person wants" in c["last"] for c in llm.calls)
    claimed = intake_of(
        ScriptedFakeLLM([Rule("solver", "", "```python\ndef double(x):\n    return 2 * x\n```")]), STUB
    )
    assert (claimed["kind"], claimed["decided_by"], claimed["entry_point"]) == ("coding", "claim", "double")


def test_intake_asks_the_model_only_when_the_wording_leaves_it_open():
    worded = intake_of(ScriptedFakeLLM([Rule("solver", "", "1. 4\nFinal answer: 4")]), "What is 2 + 2?")
    assert (worded["kind"], worded["decided_by"]) == ("general", "wording")
    llm = ScriptedFakeLLM([kind_rule("answer"), Rule("solver", "", "1. yes\nFinal answer: yes")])
    asked = intake_of(llm, OPEN)
    assert (asked["kind"], asked["decided_by"]) == ("general", "model")
    assert llm.calls[0]["last"] == OPEN


def test_an_unknown_or_unregistered_kind_fails_before_any_model_call():
    llm = ScriptedFakeLLM([])
    for kind in ("ml", "magic"):
        with pytest.raises(UnknownKindError):
            intake_of(llm, "What is 2 + 2?", kind=kind)
    assert llm.calls == []


# --- the registry -----------------------------------------------------------------------------------


def test_the_registry_runs_coding_and_general_and_refuses_ml():
    kinds = default_kinds({})
    assert kinds.names == ["coding", "general"]
    with pytest.raises(UnknownKindError, match="triloop ml"):
        kinds.get("ml")
    with pytest.raises(UnknownKindError, match="unknown task kind"):
        kinds.get("poetry")
    for old in ("math", "open", "qa", "chat"):  # older names read as general
        assert kinds.get(old).name == "general"
    assert kinds.get("coding").name == "coding"


def test_the_coding_kind_claims_a_task_by_its_shape_and_nobody_claims_a_question():
    kinds = default_kinds({})
    assert kinds.claim({"task": STUB}) == "coding"
    assert kinds.claim({"task": "Write it.", "signature": "def f(x)"}) == "coding"
    assert kinds.claim({"task": "Make them pass.", "tests": "assert f(1) == 2\n"}) == "coding"
    assert kinds.claim({"task": "Write a Python function that reverses a string."}) is None  # wording's
    assert kinds.claim({"task": "What is 2 + 2?"}) is None


@pytest.mark.parametrize(
    "text",
    [
        "Create a message queue consumer in Python.",  # "message" is a genre word, here part of a name
        "Write a post request handler in Flask.",
        "Generate a joke API endpoint in Flask.",
        "Why doesn't this work? Please fix it:\n```python\nx = [1, 2]\n```",  # a question and a fix
    ],
)
def test_code_requests_that_hold_a_prose_word_or_a_question_stay_coding(text):
    decision = by_wording(text)
    assert decision is not None and decision.kind == "coding", decision
