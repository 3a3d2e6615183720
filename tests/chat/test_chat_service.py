"""The chat service on a scripted FAKE LLM: routing, streamed direct answers, solve runs with their
events, budget pauses answered by the person, stop, history and the thread list."""

from __future__ import annotations

import threading

import pytest
from fake_chat import StreamingFakeLLM, chat_service, easy_chat_llm
from fake_llm import Rule
from scenarios import hard_llm

from triloop.chat.routing import route
from triloop.chat.service import ChatError
from triloop.graphs.state import Budgets
from triloop.llm.base import Completion


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


@pytest.mark.parametrize(
    "message,expected",
    [
        ("hi there!", "direct"),
        ("thanks, that is all", "direct"),
        ("What is 3*4?", "work"),
        ("Write a function that reverses a list", "work"),
        ("def f(x):\n    '''double x'''", "work"),
        ("fix this bug please", "work"),
    ],
)
def test_router_sends_work_to_the_team_and_chat_to_one_call(message, expected):
    assert route(message) == expected


def test_a_light_message_is_one_streamed_call_and_a_task_runs_the_graph(tmp_path):
    llm = easy_chat_llm()
    chat = chat_service(llm, tmp_path, k=3)
    light = list(chat.send("chat-1", "hi!"))
    assert types(light)[0] == "route" and "token" in types(light) and types(light)[-1] == "answer"
    assert light[-1]["content"] == "Hello, how can I help?" and light[-1]["usage"]["llm_calls"] == 1
    assert len(llm.calls) == 1

    work = list(chat.send("chat-1", "What is 3*4?"))
    kinds = set(types(work))
    assert {"route", "llm_call", "score", "decision", "answer"} <= kinds
    answer = work[-1]
    assert answer["content"] == "12\n\n(settled easy)" and answer["result"]["stopped_by"] == "easy"
    assert (answer["result"]["kind"], answer["result"]["outcome"]) == ("general", "easy")
    assert (tmp_path / "traces" / f"{answer['run_id']}.jsonl").is_file()  # the run's own trace
    # the earlier turn is context for the next solve task
    solver_prompts = [c["last"] for c in llm.calls if c["role"] == "solver"]
    assert any("Conversation so far" in p and "hi!" in p for p in solver_prompts)

    history = chat.history("chat-1")
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert chat.threads()[0]["thread_id"] == "chat-1" and chat.threads()[0]["turns"] == 2


def test_a_budget_pause_asks_and_the_same_run_continues(tmp_path):
    llm = StreamingFakeLLM(hard_llm().rules)
    chat = chat_service(llm, tmp_path, k=3, budgets=Budgets(max_rounds=0))
    first = list(chat.send("chat-2", "What is 3*4?"))
    assert first[-1]["type"] == "pause" and "refinement rounds" in first[-1]["reason"]
    assert chat.pending_pause("chat-2") is not None
    drafts = llm.count("solver", "Task:")
    assert drafts == 2  # the general kind's first two drafts; the rest of k follow only if needed
    resumed = list(chat.answer_pause("chat-2", go_on=True))
    assert resumed[-1]["type"] == "answer" and resumed[-1]["content"] == "12\n\n(verified)"
    assert resumed[-1]["run_id"] == first[-1]["run_id"]
    assert llm.count("solver", "Task:") == 3  # the drafts were not redone: only the third of k was added
    with pytest.raises(ChatError):
        list(chat.answer_pause("chat-2", go_on=True))  # nothing to answer any more


def test_an_answer_comes_first_with_its_label_and_code_only_as_evidence():
    from triloop.chat.service import answer_text
    from triloop.graphs.state import SolveResult

    value = SolveResult(
        run_id="r",
        strategy="triloop",
        kind="general",
        answer="8",
        code="print(8)\n",
        stopped_by="easy",
        outcome="easy",
    )
    assert answer_text(value) == "8\n\n(settled easy)\n\nComputed by:\n```python\nprint(8)\n```"
    unsure = value.model_copy(update={"code": None, "stopped_by": "budget", "outcome": "unsure"})
    assert answer_text(unsure) == "8\n\n(unsure)"
    code = SolveResult(
        run_id="r", strategy="triloop", kind="coding", answer="see code", code="def f():\n    return 1\n",
        stopped_by="verified", outcome="verified",
    )  # fmt: skip
    assert answer_text(code) == "```python\ndef f():\n    return 1\n```"  # code delivered: the code


def test_stop_ends_the_turn_and_keeps_the_chat(tmp_path):
    llm = easy_chat_llm()
    llm.gate = threading.Event()
    chat = chat_service(llm, tmp_path)
    events = chat.send("chat-3", "hi!")
    got = [next(events), next(events)]  # route, first token
    chat.stop("chat-3")
    llm.gate.set()
    got += list(events)
    assert got[-1]["type"] == "stopped"
    assert chat.history("chat-3")[-1]["content"] == "(stopped)"
    llm.gate = None
    again = list(chat.send("chat-3", "hello again"))
    assert again[-1]["type"] == "answer"


@pytest.mark.parametrize("message", ["hi!", "What is 3*4?"])
def test_a_stop_event_set_before_the_turn_starts_still_stops_it(tmp_path, message):
    """Ctrl-C can land before the turn has begun (the CLI's handler sets the turn's own event, which
    takes no lock): the turn stops at its first event, direct answer or solve run alike."""
    chat = chat_service(easy_chat_llm(), tmp_path)
    stop = threading.Event()
    stop.set()
    got = list(chat.send("chat-9", message, stop=stop))
    assert got[-1]["type"] == "stopped" and "answer" not in types(got)
    assert chat.history("chat-9")[-1]["content"] == "(stopped)"


def test_one_turn_at_a_time_per_chat_and_clear_errors(tmp_path):
    llm = easy_chat_llm()
    llm.gate = threading.Event()
    chat = chat_service(llm, tmp_path)
    running = chat.send("chat-4", "hi!")
    next(running)
    with pytest.raises(ChatError, match="already working"):
        list(chat.send("chat-4", "and again"))
    llm.gate.set()
    list(running)
    with pytest.raises(ChatError, match="empty"):
        list(chat.send("chat-4", "   "))
    with pytest.raises(ChatError, match="no chat"):
        chat.history("chat-missing")


def test_seeded_history_is_context(tmp_path):
    llm = StreamingFakeLLM([Rule("default", "my name is Ada", "Hello Ada"), *easy_chat_llm().rules])
    chat = chat_service(llm, tmp_path)
    chat.seed(
        "chat-5", [{"role": "user", "content": "my name is Ada"}, {"role": "assistant", "content": "Hi"}]
    )
    assert (
        list(chat.send("chat-5", "hello"))[-1]["content"] == "Hello Ada"
    )  # the seeded turn was in the prompt


def test_a_turn_without_a_person_stops_at_the_budget_with_its_best(tmp_path):
    llm = StreamingFakeLLM(hard_llm().rules)
    chat = chat_service(llm, tmp_path, k=3, budgets=Budgets(max_rounds=0, max_tokens=50_000))
    events = list(
        chat.send("chat-6", "What is 3*4?", config={"interactive": False, "budgets": {"max_llm_calls": 40}})
    )
    assert events[-1]["type"] == "answer" and events[-1]["result"]["stopped_by"] == "budget"


class CutFakeLLM(StreamingFakeLLM):
    """A FAKE whose direct replies stop at the token limit ``cut`` times before one finishes."""

    def __init__(self, cut: int) -> None:
        super().__init__([Rule("default", "", "part")])
        self.cut = cut
        self.asked: list[list] = []

    def stream(self, messages, **kwargs):
        self.asked.append(messages)
        finished = len(self.asked) > self.cut
        yield "end." if finished else "part "
        return Completion(
            text="x", prompt_tokens=5, completion_tokens=3, finish_reason="stop" if finished else "length"
        )


@pytest.mark.parametrize(("cut", "calls", "marked"), [(1, 2, False), (5, 3, True)])
def test_a_direct_reply_cut_by_the_token_limit_is_continued_or_says_so(tmp_path, cut, calls, marked):
    llm = CutFakeLLM(cut)
    service = chat_service(llm, tmp_path)
    events = list(service.send("chat-cut", "hi there", mode="direct"))
    reply = events[-1]
    assert len(llm.asked) == calls and reply["usage"]["llm_calls"] == calls
    assert llm.asked[1][-1]["content"].startswith("Continue exactly where you stopped")
    assert llm.asked[1][-2] == {"role": "assistant", "content": "part "}  # the cut reply, to continue
    assert reply["content"].startswith("part ")
    assert ("(cut off" in reply["content"]) is marked
    assert reply["content"].endswith("end.") is not marked
