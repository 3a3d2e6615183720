"""What the solve graph needs from memory, as a Protocol, so the graph runs with ``memory=None``.

The concrete store (``triloop.memory``) is adapted to this interface; tests may pass any object with
these methods. Intake reads context; reflect writes the experience, tool feedback and toolset offers.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field


class Experience(BaseModel):
    """What a run teaches: outcome, lesson and failures, keyed by task and kind."""

    task: str
    kind: str
    strategy: str
    answer: str
    verified: bool
    score: float | None = None
    stopped_by: str
    lesson: str = ""
    failures: list[str] = Field(default_factory=list)
    profile: dict[str, float | str] = Field(default_factory=dict)  # ML: the data's shape (ml.profile)


class ToolFeedback(BaseModel):
    """One tool call's outcome, for the tool-doc feedback loop."""

    tool: str
    ok: bool
    args_summary: str = ""
    output_summary: str = ""


class ToolsetOffer(BaseModel):
    """A verified, reusable function offered to the toolset."""

    name: str
    code: str
    description: str
    task: str


@runtime_checkable
class GraphMemory(Protocol):
    """Memory as the graph sees it."""

    def context_for(self, task: str, kind: str) -> str:
        """Relevant experiences, tool docs and toolset entries as prompt text ('' if none)."""
        ...

    def record_experience(self, experience: Experience) -> None: ...

    def record_tool_feedback(self, feedback: list[ToolFeedback]) -> None: ...

    def offer_toolset(self, offer: ToolsetOffer) -> None: ...
