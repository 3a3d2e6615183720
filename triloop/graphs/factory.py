"""Building the graph's dependencies from settings (CLI and ``langgraph.json``).

Kept out of the graph itself so the graph stays injectable: tests pass fakes or real parts directly.
Heavy imports (model server, sandbox, chroma) happen here, only when a command needs them.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, NamedTuple

from triloop.config import Settings
from triloop.graphs.memory import GraphMemory
from triloop.graphs.state import GraphError
from triloop.graphs.store import RunStore
from triloop.llm.base import LLM
from triloop.tools.base import Tool


class DependencyMissingError(GraphError):
    """A part the graph needs (LLM client, sandbox, memory) is not installed or not available."""


def make_llm(settings: Settings) -> LLM:
    """The real LLM client from settings."""
    try:
        from triloop.llm.client import LLMClient
    except ImportError as exc:
        raise DependencyMissingError(f"the LLM client is not available: {exc}") from None
    return LLMClient(settings)  # type: ignore[return-value]


def make_tools(settings: Settings) -> tuple[list[Tool], Any]:
    """The sandboxed execution tools (run_python, run_command, run_tests) and their sandbox (to close)."""
    try:
        from triloop.tools.execution import execution_tools
        from triloop.tools.sandbox.factory import create_sandbox
        from triloop.tools.sandbox.settings import SandboxSettings
    except ImportError as exc:
        raise DependencyMissingError(f"the sandbox tools are not available: {exc}") from None
    sandbox = create_sandbox(getattr(settings, "sandbox", None) or SandboxSettings())
    return list(execution_tools(sandbox).values()), sandbox


def make_memory(settings: Settings) -> tuple[GraphMemory, list[Tool], Any]:
    """The memory adapter, its retrieval tools, and the store (to close at the end)."""
    try:
        from triloop.graphs.memory_store import StoreMemory
        from triloop.memory.settings import MemorySettings
        from triloop.memory.store import MemoryStore
        from triloop.tools.retrieval import retrieval_tools
    except ImportError as exc:
        raise DependencyMissingError(f"the memory is not available: {exc}") from None
    memory_settings = getattr(settings, "memory", None) or MemorySettings()
    store = MemoryStore(memory_settings)
    return StoreMemory(store), list(retrieval_tools(store)), store


def open_llm(stack: ExitStack, settings: Settings) -> LLM:
    """The real LLM client, closed when ``stack`` closes."""
    llm = make_llm(settings)
    if hasattr(llm, "close"):
        stack.callback(llm.close)
    return llm


def open_tools(stack: ExitStack, settings: Settings) -> tuple[list[Tool], Any]:
    """The sandboxed execution tools and their sandbox, closed when ``stack`` closes."""
    tools, sandbox = make_tools(settings)
    stack.callback(sandbox.close)
    return tools, sandbox


class SolveParts(NamedTuple):
    llm: LLM
    graph: Any  # the compiled solve graph, checkpointed in ``runs.saver``
    runs: RunStore  # checkpoints, traces, reports
    memory: GraphMemory | None


def open_solve_parts(
    stack: ExitStack, settings: Settings, *, use_tools: bool, use_memory: bool
) -> SolveParts:
    """LLM, tools, memory, the run store and the compiled solve graph (closed by ``stack``)."""
    from triloop.graphs.builder import build_solve_graph

    runs = open_runs(stack, settings)
    llm = open_llm(stack, settings)
    tools: list[Tool] = []
    if use_tools:
        tools, _ = open_tools(stack, settings)
    memory = None
    if use_memory:
        memory, retrieval, store = make_memory(settings)
        stack.callback(store.close)
        memory.register_tools(tools)  # type: ignore[attr-defined]
        tools = [*tools, *retrieval]
    graph = build_solve_graph(llm, tools=tools, memory=memory, config=settings.solve, checkpointer=runs.saver)
    return SolveParts(llm, graph, runs, memory)


def open_runs(stack: ExitStack, settings: Settings) -> RunStore:
    """The run store the settings name (local sqlite, or PostgreSQL), closed when ``stack`` closes."""
    from triloop.graphs.store import open_run_store

    return stack.enter_context(open_run_store(settings.checkpoint, settings.data_dir / "runs"))
