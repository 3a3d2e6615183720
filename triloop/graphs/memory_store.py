"""Adapter: the real vector memory (:class:`triloop.memory.store.MemoryStore`) as a :class:`GraphMemory`.

Both speak the task kinds of ``triloop/kinds/names.py``; reads context at intake (experiences of the
same kind, tool docs, toolset functions) and writes at reflect.
"""

from __future__ import annotations

from triloop.graphs.memory import Experience, ToolFeedback, ToolsetOffer
from triloop.kinds.names import canonical_kind
from triloop.memory.errors import MemoryStoreError, RecordNotFoundError
from triloop.memory.records import ExperienceRecord, ToolsetRecord, ToolTrace
from triloop.memory.store import MemoryStore
from triloop.tools.base import Tool


class StoreMemory:
    """GraphMemory over a MemoryStore. Retrieval failures degrade to no context, never a failed run."""

    def __init__(self, store: MemoryStore, k: int = 3, min_similarity: float = 0.3) -> None:
        self.store = store
        self.k = k
        self.min_similarity = min_similarity

    def register_tools(self, tools: list[Tool]) -> None:
        """Make sure every tool has a doc in memory, so its call feedback has somewhere to go."""
        for tool in tools:
            self.store.upsert_tool_doc(tool.spec)

    def context_for(self, task: str, kind: str) -> str:
        sections: list[str] = []
        searches = [
            ("Past experiences", "experiences", canonical_kind(kind)),
            ("Reusable functions", "toolset", None),
            ("Tool docs", "tool_docs", None),
        ]
        for title, collection, task_kind in searches:
            try:
                hits = self.store.search(collection, task, self.k, task_kind=task_kind)  # type: ignore[arg-type]
            except MemoryStoreError:
                continue
            good = [h for h in hits if h.similarity >= self.min_similarity]
            if good:
                sections.append(title + ":\n" + "\n".join(h.record.render() for h in good))
        return "\n\n".join(sections)

    def record_experience(self, experience: Experience) -> None:
        outcome = "solved" if experience.verified else ("partial" if experience.answer else "failed")
        scores = {"score": experience.score} if experience.score is not None else {}
        self.store.add_experience(
            ExperienceRecord(
                task=experience.task,
                task_kind=canonical_kind(experience.kind),
                outcome=outcome,
                answer_summary=experience.answer[:500],
                failures=experience.failures,
                lesson=experience.lesson,
                scores=scores,
                tags=[experience.strategy, f"stopped:{experience.stopped_by}"],
                profile=experience.profile,
            )
        )

    def experiences(self, query: str, kind: str, k: int = 8) -> list[ExperienceRecord]:
        """The stored experiences of ``kind`` nearest ``query`` (for callers that rank them further,
        such as ML lessons by data profile); [] when the store cannot answer."""
        try:
            hits = self.store.search("experiences", query, k, task_kind=canonical_kind(kind), mmr=False)  # type: ignore[arg-type]
        except MemoryStoreError:
            return []
        return [h.record for h in hits if isinstance(h.record, ExperienceRecord)]

    def record_tool_feedback(self, feedback: list[ToolFeedback]) -> None:
        for item in feedback:
            trace = ToolTrace(
                ok=item.ok,
                args={"summary": item.args_summary},
                output=item.output_summary[:2000],
                note="" if item.ok else "call failed",
            )
            try:
                self.store.record_tool_call(item.tool, trace)
            except RecordNotFoundError:
                continue  # a tool without a registered doc (e.g. a retrieval tool) has nothing to refine

    def offer_toolset(self, offer: ToolsetOffer) -> None:
        self.store.add_toolset_function(
            ToolsetRecord(
                name=offer.name, code=offer.code, doc=offer.description, provenance=offer.task[:300]
            )
        )
