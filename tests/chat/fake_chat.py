"""A FAKE LLM for chat tests: the scripted fake of tests/graphs plus streaming (word by word)."""

from __future__ import annotations

import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

from fake_llm import Rule, ScriptedFakeLLM, kind_rule, scores_rule

from triloop.chat.service import ChatService
from triloop.graphs.builder import build_solve_graph
from triloop.graphs.state import SolveConfig
from triloop.graphs.store import LocalRunStore
from triloop.llm.base import Completion


class StreamingFakeLLM(ScriptedFakeLLM):
    """Streams the scripted reply word by word; ``gate`` (when set) holds each word until released."""

    gate: threading.Event | None = None

    def stream(self, messages: list[Any], **kwargs: Any) -> Generator[str, None, Completion]:
        reply = self.complete(messages, **kwargs)
        for word in reply.text.split(" "):
            if self.gate is not None:
                self.gate.wait(10)
            yield word + " "
        return reply


def chat_service(llm: ScriptedFakeLLM, root: Path, tools: list | None = None, **config: Any) -> ChatService:
    defaults = SolveConfig(**config)
    runs = LocalRunStore(root)
    graph = build_solve_graph(llm, tools=tools or [], config=defaults, checkpointer=runs.saver)
    return ChatService(llm, graph, runs, defaults)


def easy_chat_llm() -> StreamingFakeLLM:
    """Drafts that agree on 3 * 4 = 12 (an easy solve run); any other call says hello."""
    return StreamingFakeLLM(
        [
            kind_rule("answer"),
            scores_rule("Judge each numbered step", [0.9, 0.95]),
            Rule("solver", "Task:", "1. 3 * 4 = 12\nFinal answer: 12"),
            Rule("default", "", "Hello, how can I help?"),
        ]
    )
