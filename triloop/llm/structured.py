"""Getting a pydantic object out of a model that may not follow instructions perfectly.

Servers differ: some enforce a JSON schema (``response_format=json_schema``), some only JSON mode,
some nothing. Small local models wrap JSON in prose or code fences. So we ask for the strongest mode
the endpoint accepts, then extract the JSON from whatever came back, and validate it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from typing import Literal

from pydantic import BaseModel, ValidationError

from triloop.errors import LLMBadRequestError, StructuredOutputError
from triloop.llm.base import Completion, Message, SchemaT
from triloop.llm.dialogue import Request

StructuredMode = Literal["json_schema", "json_object", "text"]
MODES: tuple[StructuredMode, ...] = ("json_schema", "json_object", "text")

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def response_format(schema: type[BaseModel], mode: StructuredMode) -> dict | None:
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema(), "strict": False},
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def schema_instruction(schema: type[BaseModel]) -> str:
    """A system-prompt line that states the schema, for servers that do not enforce it."""
    return "Answer with one JSON object only, no prose, matching this JSON schema:\n" + json.dumps(
        schema.model_json_schema(), separators=(",", ":")
    )


def extract_json(text: str) -> str | None:
    """The JSON in ``text``: the whole text, else the last fenced block, else the last balanced object."""
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        return stripped
    fenced = _FENCE.findall(text)
    if fenced:
        return fenced[-1].strip()
    end = text.rfind("}")
    while end != -1:
        depth = 0
        for start in range(end, -1, -1):
            depth += {"}": 1, "{": -1}.get(text[start], 0)
            if depth == 0:
                candidate = text[start : end + 1]
                try:
                    json.loads(candidate)
                    return candidate
                except ValueError:
                    break
        end = text.rfind("}", 0, end)
    return None


def parse_as(text: str, schema: type[SchemaT]) -> SchemaT:
    """Validate the JSON found in ``text``; raise ``ValueError`` with a message fit for a repair prompt."""
    raw = extract_json(text)
    if raw is None:
        raise ValueError("no JSON object found in the answer")
    try:
        return schema.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'root'}: {e['msg']}" for e in exc.errors()[:8]
        )
        raise ValueError(f"the JSON does not match the schema: {problems}") from None


def structured_dialogue(
    messages: list[Message],
    schema: type[SchemaT],
    accepted: dict[str, StructuredMode],
    endpoint: str,
    temperature: float | None,
    max_tokens: int | None,
) -> Generator[Request, Completion | Exception, SchemaT]:
    """Ask in the strongest mode the endpoint accepts; one repair round on a parse failure.

    A dialogue (see :mod:`triloop.llm.dialogue`): it yields requests and is sent the answers, so the
    sync and async clients drive the same code. ``accepted`` remembers, per ``endpoint``, the mode that
    worked, so later calls start there instead of being refused again."""
    prompt = [{"role": "system", "content": schema_instruction(schema)}, *messages]
    start = MODES.index(accepted.get(endpoint, "json_schema"))
    for mode in MODES[start:]:
        answer = yield Request(prompt, temperature, max_tokens, None, response_format(schema, mode))
        if isinstance(answer, LLMBadRequestError) and mode != "text":
            continue  # the endpoint refuses this response_format: try a weaker one
        if isinstance(answer, Exception):
            raise answer
        accepted[endpoint] = mode
        try:
            return parse_as(answer.text, schema)
        except ValueError as first_error:
            repair = [
                *prompt,
                {"role": "assistant", "content": answer.text},
                {
                    "role": "user",
                    "content": f"That answer was invalid: {first_error}. "
                    "Reply with the corrected JSON object only.",
                },
            ]
            fixed = yield Request(repair, temperature, max_tokens, None, response_format(schema, mode))
            if isinstance(fixed, Exception):
                raise fixed from None
            try:
                return parse_as(fixed.text, schema)
            except ValueError as second_error:
                raise StructuredOutputError(
                    f"model answer is not a valid {schema.__name__} after one repair round: {second_error}"
                ) from None
    raise StructuredOutputError(f"endpoint accepted no structured-output mode for {schema.__name__}")
