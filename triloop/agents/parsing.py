"""Reading model text: JSON tool actions, numbered steps, final answers, JSON objects.

Small local models do not emit native tool calls and often write slightly broken JSON, so the parser
is lenient where it is safe (fenced or bare JSON objects, a bare ```python block taken as a
``run_python`` action) and strict about what it returns (typed :class:`Action`, validated models).
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from triloop.agents.errors import AgentParseError

ModelT = TypeVar("ModelT", bound=BaseModel)

_FENCE = re.compile(r"```([a-zA-Z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)
_FINAL = re.compile(r"(?:\*\*)?final\s+answer(?:\s+is)?(?:\*\*)?\s*[:：=]\s*(?:\*\*)?(.+)", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_STEP = re.compile(r"^\s*(?:step\s*)?(\d{1,2})\s*[.):]\s+(.*)$", re.IGNORECASE)


class Action(BaseModel):
    """A tool call the model asked for."""

    tool: str
    args: dict[str, Any]


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """All fenced code blocks as (language, body), in order."""
    return [(lang.lower(), body) for lang, body in _FENCE.findall(text)]


def _json_objects(text: str) -> list[Any]:
    """JSON values found in ``text``: fenced json blocks first, then bare ``{...}`` objects."""
    found: list[Any] = []
    for lang, body in fenced_blocks(text):
        if lang in ("json", ""):
            try:
                found.append(json.loads(body))
            except json.JSONDecodeError:
                try:  # models often put raw newlines inside strings
                    found.append(json.loads(body, strict=False))
                except json.JSONDecodeError:
                    continue
    if found:
        return found
    decoder = json.JSONDecoder(strict=False)
    start = text.find("{")
    if start >= 0:  # a reply cut off by max_tokens: close the open string/object and try again
        tail = text[start:].rstrip().rstrip("`").rstrip()
        for suffix in ('"}', "}", '"]}', "]}", '"}}', "}}"):
            try:
                value = decoder.decode(tail + suffix)
            except json.JSONDecodeError:
                continue
            found.append(value)
            return found
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text[match.start() :])
        except json.JSONDecodeError:
            continue
        found.append(value)
        break
    return found


def parse_action(text: str, tool_names: set[str]) -> Action | None:
    """The tool action in ``text``, or None when the model gave (or is giving) an answer.

    A reply that states a final answer is an answer even if it also shows code. A ```python block with
    no final answer is read as a ``run_python`` call when that tool exists: small models do this often.
    """
    for value in _json_objects(text):
        if not isinstance(value, dict):
            continue
        tool = value.get("tool")
        if tool is None and value.get("name") in tool_names:  # the OpenAI shape, {"name", "arguments"}
            tool = value["name"]
        if isinstance(tool, str):
            args = value.get("args", value.get("arguments", {}))
            if isinstance(args, str):  # OpenAI style: the arguments as a JSON string
                try:
                    args = json.loads(args, strict=False)
                except json.JSONDecodeError:
                    args = {}
            if not isinstance(args, dict):
                args = {}
            return Action(tool=tool, args=args)
    if final_answer(text) is not None:
        return None
    if "run_python" in tool_names:
        for lang, body in fenced_blocks(text):
            if lang in ("python", "py") and body.strip():
                return Action(tool="run_python", args={"code": body})
    return None


def final_answer(text: str) -> str | None:
    """The final answer stated in ``text`` ("Final answer: ..." or ``\\boxed{...}``), if any."""
    matches = _FINAL.findall(text)
    if matches:
        return matches[-1].strip().strip("*").strip()
    boxed = _BOXED.findall(text)
    if boxed:
        return boxed[-1].strip()
    return None


def steps_of(text: str) -> list[str]:
    """Numbered steps in ``text``; without numbering, the non-empty paragraphs before the answer."""
    body = _FENCE.sub(lambda m: m.group(0).replace("\n", "\u2028"), text)  # keep code blocks in one step
    body = _FINAL.split(body)[0]
    steps: list[str] = []
    for line in body.splitlines():
        match = _STEP.match(line)
        if match:
            steps.append(match.group(2).strip())
        elif steps and line.strip():
            steps[-1] += "\n" + line.strip()
    if not steps:
        steps = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    return [s.replace("\u2028", "\n") for s in steps] or ([text.strip()] if text.strip() else [])


def last_code(text: str) -> str | None:
    """The last python code block in ``text`` (the candidate's code for coding tasks)."""
    blocks = [body for lang, body in fenced_blocks(text) if lang in ("python", "py")]
    if blocks:
        return blocks[-1]
    cut = re.search(r"```(?:python|py)[ \t]*\n(.*)$", text, re.DOTALL)  # a block cut off by max_tokens
    return cut.group(1) if cut and cut.group(1).strip() else None


def parse_model(text: str, schema: type[ModelT]) -> ModelT:
    """Validate the first JSON object in ``text`` against ``schema``; raise :class:`AgentParseError`."""
    errors: list[str] = []
    for value in _json_objects(text):
        try:
            return schema.model_validate(value)
        except ValidationError as exc:
            errors.append(str(exc).splitlines()[0])
    detail = "; ".join(errors) or "no JSON object found"
    raise AgentParseError(f"could not read a {schema.__name__} from the model's reply: {detail}")
