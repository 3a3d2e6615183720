"""What a tool is, for agents and for memory.

A tool is a callable with a :class:`ToolSpec` (its documentation). Agents call tools through a JSON
action protocol (``{"tool": name, "args": {...}}``), so nothing depends on native tool calling; where
the endpoint has it, :meth:`ToolSpec.openai_schema` describes the tool to it. The spec is what the
memory stores in ``tool_docs`` and rewrites from failures.
"""

from __future__ import annotations

import ast
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from triloop import syntax


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

    def openai_schema(self) -> dict[str, Any]:
        """The OpenAI function-tool schema: parameters (types, required) from the signature, meanings
        from ``arguments``; arguments the signature does not name are listed without a type."""
        properties: dict[str, dict[str, Any]] = {}
        required: list[str] = []
        for name, annotation, has_default in _signature_params(self.signature):
            properties[name] = {"type": _JSON_TYPES[annotation]} if annotation in _JSON_TYPES else {}
            if not has_default:
                required.append(name)
        for name, meaning in self.arguments.items():
            properties.setdefault(name, {})["description"] = meaning
        parameters: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            parameters["required"] = required
        description = "\n".join([self.purpose, *(f"Pitfall: {p}" for p in self.pitfalls)])
        return {
            "type": "function",
            "function": {"name": self.name, "description": description, "parameters": parameters},
        }


_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _signature_params(signature: str) -> list[tuple[str, str, bool]]:
    """``(name, annotation, has_default)`` of each parameter of ``"f(a: str, b: int = 1) -> str"``;
    ``[]`` when the signature does not parse. ``str | None`` reads as ``str``."""
    head = signature.split("->")[0].strip()
    try:
        fn = syntax.parse(f"def {head}: pass").body[0]
    except (SyntaxError, IndexError):
        return []
    if not isinstance(fn, ast.FunctionDef):
        return []
    args = fn.args.args
    first_default = len(args) - len(fn.args.defaults)
    params = []
    for index, arg in enumerate(args):
        annotation = arg.annotation
        if isinstance(annotation, ast.BinOp):  # "str | None": the non-None side
            annotation = annotation.left
        params.append((arg.arg, getattr(annotation, "id", ""), index >= first_default))
    return params


class ToolResult(BaseModel):
    """What a tool call returns: compact text for the LLM plus structured data for scoring/tracing."""

    ok: bool
    output: str
    data: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class Tool(Protocol):
    spec: ToolSpec

    def __call__(self, **kwargs: Any) -> ToolResult: ...
