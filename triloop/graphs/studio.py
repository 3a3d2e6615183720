"""Graph factory for LangGraph tooling (``langgraph.json``; LangGraph Studio / ``langgraph dev``).

The platform supplies its own checkpointer, so none is attached here. Dependencies come from the
``TRILOOP_*`` settings exactly as for the CLI; the sandbox tools and memory are used when available.
"""

from __future__ import annotations

from langgraph.graph.state import CompiledStateGraph

from triloop.config import load_settings
from triloop.errors import TriloopError
from triloop.graphs.builder import build_solve_graph
from triloop.graphs.factory import make_llm, make_memory, make_tools


def make_graph() -> CompiledStateGraph:
    """The solve graph built from settings, without a checkpointer (the platform adds one)."""
    settings = load_settings()
    llm = make_llm(settings)
    try:
        tools, _sandbox = make_tools(settings)
    except TriloopError:  # no usable sandbox backend here: the graph still works without tools
        tools = []
    memory = None
    try:
        memory, retrieval, _store = make_memory(settings)
        memory.register_tools(tools)
        tools = [*tools, *retrieval]
    except TriloopError:
        memory = None
    return build_solve_graph(llm, tools=tools, memory=memory, config=settings.solve)
