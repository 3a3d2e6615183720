"""Native tool calling: when to offer ``tools`` to an endpoint, and reading the calls it answers with.

``native_tools`` (per role): ``"auto"`` offers tools to remote endpoints until one refuses them (a 400
to a request carrying ``tools``, after which the client resends without them and remembers), never to
the embedded model (its server does not return tool calls); ``"on"`` always offers them (still
resending without tools when refused, but remembering nothing); ``"off"`` never does. Without native
tool calls the agents' JSON action protocol does the work.
"""

from __future__ import annotations

import json
from typing import Any

from triloop.config import ModelSettings
from triloop.llm.base import NativeToolCall


def offer_tools(cfg: ModelSettings, refused: bool) -> bool:
    """Whether a request for ``cfg`` carries ``tools``; ``refused``: the endpoint already refused them."""
    if cfg.native_tools == "off":
        return False
    if cfg.native_tools == "on":
        return True
    return not cfg.is_local and not refused


def parse_arguments(raw: str | None) -> tuple[dict[str, Any], str | None]:
    """The arguments of one call as a dict, or ``({}, why)`` when they are not a JSON object."""
    if not raw:
        return {}, None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {}, f"arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return {}, f"arguments are not a JSON object: {raw[:200]}"
    return value, None


def parse_tool_calls(message: Any) -> list[NativeToolCall]:
    """The function calls of an OpenAI chat-completion message (other call types are skipped)."""
    calls = []
    for index, call in enumerate(getattr(message, "tool_calls", None) or []):
        function = getattr(call, "function", None)
        if function is None:
            continue
        raw = function.arguments or ""
        arguments, error = parse_arguments(raw)
        calls.append(
            NativeToolCall(
                id=call.id or f"call_{index}",
                name=function.name,
                arguments=arguments,
                raw_arguments=raw,
                arguments_error=error,
            )
        )
    return calls
