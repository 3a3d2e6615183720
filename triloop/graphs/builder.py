"""Build the solve graph. Edges read like the loop:

intake -> solve (k in parallel) [+ tester, coding] -> score -> triage -> settle: finalize -> reflect
                                                 \\-> review -> refine (re-verify) -> score -> triage ...
                                                 \\-> budget -> (interrupt: continue?) -> review | finalize
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from triloop.graphs.memory import GraphMemory
from triloop.graphs.nodes import SolveNodes
from triloop.graphs.state import SolveConfig, SolveInput, SolveState
from triloop.kinds.registry import KindRegistry, default_kinds
from triloop.llm.base import LLM
from triloop.tools.base import Tool


def tool_map(tools: Sequence[Tool] | Mapping[str, Tool] | None) -> dict[str, Tool]:
    """Tools by name (from a sequence of tools or a mapping)."""
    if tools is None:
        return {}
    if isinstance(tools, Mapping):
        return dict(tools)
    return {tool.spec.name: tool for tool in tools}


def build_solve_graph(
    llm: LLM,
    tools: Sequence[Tool] | Mapping[str, Tool] | None = None,
    memory: GraphMemory | None = None,
    config: SolveConfig | None = None,
    checkpointer: Checkpointer = None,
    kinds: KindRegistry | None = None,
) -> CompiledStateGraph:
    """The compiled solve graph. ``config`` is the default per-run config (a run's input may override it);
    ``kinds`` the task kinds it runs (default: the kinds triloop ships, on ``tools``)."""
    by_name = tool_map(tools)
    nodes = SolveNodes(llm, by_name, memory, config or SolveConfig(), kinds or default_kinds(by_name))
    graph = StateGraph(SolveState, input_schema=SolveInput)
    graph.add_node("intake", nodes.intake)
    graph.add_node("solve", nodes.solve)
    graph.add_node("tester", nodes.tester)
    graph.add_node("score", nodes.score)
    graph.add_node("triage", nodes.triage)
    graph.add_node("review", nodes.review, destinations=("refine",))
    graph.add_node("refine", nodes.refine)
    graph.add_node("budget", nodes.budget, destinations=("solve", "tester", "review", "finalize"))
    graph.add_node("finalize", nodes.finalize)
    graph.add_node("reflect", nodes.reflect)

    graph.add_edge(START, "intake")
    graph.add_conditional_edges("intake", nodes.fan_out_solve, ["solve", "tester"])
    graph.add_edge("solve", "score")
    graph.add_edge("tester", "score")
    graph.add_edge("score", "triage")
    graph.add_conditional_edges("triage", nodes.route_triage, ["review", "budget", "finalize", "solve"])
    graph.add_edge("refine", "score")
    graph.add_edge("finalize", "reflect")
    graph.add_edge("reflect", END)
    return graph.compile(checkpointer=checkpointer, name="triloop-solve")
