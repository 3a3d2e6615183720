"""What a tool is, for agents and for memory.

A tool is a callable with a :class:`ToolSpec` (its documentation). Agents call tools through a JSON
action protocol (``{"tool": name, "args": {...}}``), so nothing depends on native tool calling. The
spec is what the memory stores in ``tool_docs`` and rewrites from failures.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field


class ToolSpec(BaseModel):
    """A tool's documentation: short enough to put in a prompt, complete enough to use it right."""

    name: str
    signature: str = Field(description='e.g. "run_python(code: str, timeout: float = 30) -> str"')
    purpose: str
    arguments: dict[str, str] = Field(default_factory=dict, description="argument name -> meaning")
    examples: list[str] = Field(default_factory=list)
    pitfalls: list[str] = Field(default_factory=list)

    def render(self) -> str:
        """Compact text for a prompt."""
        lines = [f"{self.signature}", f"  {self.purpose}"]
        lines += [f"  - {name}: {meaning}" for name, meaning in self.arguments.items()]
        lines += [f"  example: {ex}" for ex in self.examples]
        lines += [f"  pitfall: {p}" for p in self.pitfalls]
        return "\n".join(lines)


class ToolResult(BaseModel):
    """What a tool call returns: compact text for the LLM plus structured data for scoring/tracing."""

    ok: bool
    output: str
    data: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class Tool(Protocol):
    spec: ToolSpec

    def __call__(self, **kwargs: Any) -> ToolResult: ...
