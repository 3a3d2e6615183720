"""Agent tools over the vector memory: look up tool docs, past experiences and reusable functions.

Each returns compact text an LLM can read directly (rendered records, best first) and structured data
(ids, similarities) for tracing. Bad input (empty query, unknown kind) is a failed ``ToolResult`` with a
clear message rather than an exception, so an agent can correct itself in the next step.
"""

from __future__ import annotations

from typing import Any

from triloop.kinds.names import current_name
from triloop.memory.errors import MemoryStoreError, RecordNotFoundError
from triloop.memory.records import TASK_KINDS, Kind
from triloop.memory.store import MemoryStore, SearchHit
from triloop.tools.base import Tool, ToolResult, ToolSpec

MAX_K = 10


def _hits_result(store: MemoryStore, kind: Kind, hits: list[SearchHit], empty: str) -> ToolResult:
    """Render the hits and count them as retrieved (the usefulness signal prune uses)."""
    store.mark_retrieved(kind, [h.record.id for h in hits])
    if not hits:
        return ToolResult(ok=True, output=empty, data={"hits": []})
    blocks = [f"({i}) sim={h.similarity:.2f}\n{h.record.render()}" for i, h in enumerate(hits, start=1)]
    data = {"hits": [{"id": h.record.id, "similarity": round(h.similarity, 4)} for h in hits]}
    return ToolResult(ok=True, output="\n".join(blocks), data=data)


def _k(value: Any) -> int:
    k = int(value)
    if not 1 <= k <= MAX_K:
        raise ValueError(f"k must be between 1 and {MAX_K}")
    return k


class _MemoryTool:
    spec: ToolSpec

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def __call__(self, **kwargs: Any) -> ToolResult:
        try:
            return self.run(**kwargs)
        except (MemoryStoreError, ValueError) as exc:
            return ToolResult(ok=False, output=f"{self.spec.name} failed: {exc}")
        except TypeError as exc:  # wrong or missing arguments
            return ToolResult(
                ok=False, output=f"{self.spec.name}: bad arguments ({exc}); usage: {self.spec.signature}"
            )

    def run(self, **kwargs: Any) -> ToolResult:  # pragma: no cover - overridden
        raise NotImplementedError


class SearchTools(_MemoryTool):
    spec = ToolSpec(
        name="search_tools",
        signature="search_tools(query: str, k: int = 3) -> str",
        purpose="Find the tools whose documentation best matches what you want to do; shows each tool's doc.",
        arguments={"query": "what you want to do, in words", "k": "how many tools (1-10)"},
        examples=['search_tools(query="run python code and see the output")'],
        pitfalls=["Describe the action, not the tool name; use get_tool_doc when you know the name."],
    )

    def run(self, query: str, k: int = 3) -> ToolResult:
        return _hits_result(
            self.store, "tool_docs", self.store.search("tool_docs", query, _k(k)), "no tool docs match"
        )


class GetToolDoc(_MemoryTool):
    spec = ToolSpec(
        name="get_tool_doc",
        signature="get_tool_doc(name: str) -> str",
        purpose="Show the full, current documentation of one tool, including pitfalls learned from failures.",
        arguments={"name": "exact tool name, e.g. run_python"},
        examples=['get_tool_doc(name="run_python")'],
        pitfalls=["Names are exact; use search_tools if unsure."],
    )

    def run(self, name: str) -> ToolResult:
        try:
            doc = self.store.get_tool_doc(name)
        except RecordNotFoundError:
            return ToolResult(ok=False, output=f"no tool named {name!r}; try search_tools")
        return ToolResult(ok=True, output=doc.render(), data={"id": doc.id, "version": doc.version})


class SearchExperiences(_MemoryTool):
    spec = ToolSpec(
        name="search_experiences",
        signature="search_experiences(query: str, kind: str | None = None, k: int = 3) -> str",
        purpose="Recall past attempts at similar tasks: outcome, the answer, what failed, and the lesson.",
        arguments={
            "query": "the task, or the part you are stuck on",
            "kind": f"task kind to search: one of {', '.join(TASK_KINDS)}; omit for all",
            "k": "how many experiences (1-10)",
        },
        examples=['search_experiences(query="parse dates from a CSV column", kind="coding")'],
        pitfalls=["Lessons come from other tasks: check that they apply before following them."],
    )

    def run(self, query: str, kind: str | None = None, k: int = 3) -> ToolResult:
        kind = current_name(kind) if kind is not None else None  # "qa", "math": "general"
        if kind is not None and kind not in TASK_KINDS:
            raise ValueError(f"kind must be one of {', '.join(TASK_KINDS)} (or omitted), got {kind!r}")
        hits = self.store.search("experiences", query, _k(k), task_kind=kind)  # type: ignore[arg-type]
        return _hits_result(self.store, "experiences", hits, "no similar experiences")


class SearchToolset(_MemoryTool):
    spec = ToolSpec(
        name="search_toolset",
        signature="search_toolset(query: str, k: int = 3) -> str",
        purpose="Find verified, reusable Python functions from earlier solutions; shows their doc and code.",
        arguments={"query": "what the function should do", "k": "how many functions (1-10)"},
        examples=['search_toolset(query="moving average of a list")'],
        pitfalls=["Copy the function into your code before calling it; it is not importable."],
    )

    def run(self, query: str, k: int = 3) -> ToolResult:
        hits = self.store.search("toolset", query, _k(k))
        return _hits_result(self.store, "toolset", hits, "no reusable functions match")


def retrieval_tools(store: MemoryStore) -> list[Tool]:
    """The four memory tools, bound to ``store``."""
    return [SearchTools(store), GetToolDoc(store), SearchExperiences(store), SearchToolset(store)]
