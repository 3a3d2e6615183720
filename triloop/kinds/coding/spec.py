"""What a coding task asks for, read from the task itself: the entry point and its examples as checks.

A task is a coding task when it carries a ``def`` stub, a signature or tests: recognised from the text,
never only from an LLM's label. The docstring's examples (``>>> f(1)`` / ``2``, and the looser
``f(1) == 2`` / ``f(1) ➞ 2`` / ``f(1) => 2`` shapes) become checks. They can be wrong (HumanEval/47 and
/116 carry wrong examples), so they weigh in the score; they do not decide alone.
"""

from __future__ import annotations

import ast
import builtins
import re

from pydantic import BaseModel

from triloop import syntax
from triloop.kinds.coding.checks import Check
from triloop.kinds.coding.extract import blocks_of, stub_entry_point, task_trees

_ARROW = re.compile(r"^\s*(?:==>|==|➞|=>|->|→|⟶|should\s+return|returns?|gives|=)\s*", re.IGNORECASE)


class CodeSpec(BaseModel):
    """A coding task as the coding kind uses it."""

    entry_point: str | None = None
    doctests: list[Check] = []
    generated: list[Check] = []

    def checks(self) -> list[Check]:
        return [*self.doctests, *self.generated]


_JSON_WORDS = {"true": "True", "false": "False", "null": "None"}


def _expression(text: str) -> str | None:
    """``text`` (or its longest prefix up to a comment or sentence end) as a Python expression."""
    text = re.sub(r"\b(true|false|null)\b", lambda m: _JSON_WORDS[m.group(1)], text.strip())
    candidates = [
        text.split(" #")[0].removesuffix("."),
        text.removesuffix("."),
        text,
        text.rstrip(".,;"),
        text.split(". ")[0],
    ]
    candidates.append(re.split(r"\s+(?:and|or|but|while|if)\s+|;|\s+(?:➞|=>|->)\s*", text)[0].rstrip(".,"))
    if "=" in text:  # a worked result: "19 - 5 - 6 = 8"
        candidates.append(text.rsplit("=", 1)[-1].rstrip("."))
    for cand in candidates:
        cand = cand.strip()
        if not cand:
            continue
        try:
            syntax.parse(cand, mode="eval")
        except SyntaxError:
            continue
        return cand
    return None


def _call_end(line: str, start: int) -> int | None:
    """Index just past the parenthesis that closes the call opened at ``line[start]``."""
    depth = 0
    quote: str | None = None
    for i in range(start, len(line)):
        ch = line[i]
        if quote:
            if ch == quote and line[i - 1] != "\\":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _calls_entry(expr: str, entry_point: str) -> bool:
    try:
        tree = syntax.parse(expr, mode="eval")
    except SyntaxError:
        return False
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == entry_point
        for n in ast.walk(tree)
    )


_FOR_SHAPE = re.compile(
    r"^\s*for\s+([A-Za-z_]\w*)\s*=\s*(.+?),?\s+the\s+(?:output|result)\s+should\s+be\s*:?\s*(.+)$",
    re.IGNORECASE,
)


_INPUT = re.compile(r"\binput\s*:\s*(.+)$", re.IGNORECASE)
_OUTPUT = re.compile(r"output\s*:\s*(.+)$", re.IGNORECASE)


def _keywords_ok(call: str, params: list[str]) -> bool:
    """``call`` parses, and the names it passes are the function's own parameters."""
    try:
        node = syntax.parse(call, mode="eval").body
    except SyntaxError:
        return False
    if not isinstance(node, ast.Call):
        return False
    return all(k.arg in params for k in node.keywords) and len(node.args) + len(node.keywords) <= len(params)


def _parameters(task: str, entry_point: str) -> list[str]:
    """The parameter names of the task's stub of ``entry_point`` ([] when not found)."""
    for tree in task_trees(task):
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == entry_point:
                return [a.arg for a in node.args.args]
    return []


def doctest_checks(task: str, entry_point: str) -> list[Check]:
    """The task's examples of ``entry_point`` as checks (at most one per distinct call)."""
    found: dict[str, Check] = {}
    lines = task.splitlines()
    params = _parameters(task, entry_point)
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith(">>>"):
            call = line[3:].strip()
            out: list[str] = []
            i += 1
            while i < len(lines) and lines[i].strip().startswith("..."):  # the call continues
                call += " " + lines[i].strip()[3:].strip()
                i += 1
            first_out = i
            while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(">>>"):
                if lines[i].strip() in ('"""', "'''"):
                    break
                out.append(lines[i].strip().removesuffix('"""').removesuffix("'''"))
                i += 1
            expected = _expression(" ".join(out)) if out else None
            if expected is None and out:  # prose right after a one-line output: read it again below
                expected, i = _expression(out[0]), first_out + 1
            if _calls_entry(call, entry_point) and expected is not None:
                found.setdefault(call, Check(call=call, expected=expected, source="doctest"))
            continue
        given = _INPUT.search(line)
        if given:  # "Input: arr = [1, 2], k = 3" with "Output: ..." on this line or the next two
            tail = [given.group(1), *(x.strip() for x in lines[i + 1 : i + 3])]
            for part in tail:
                produced = _OUTPUT.search(part)
                if produced:
                    args = re.split(r"output\s*:", given.group(1), flags=re.IGNORECASE)[0].strip().rstrip(",")
                    call, expected = f"{entry_point}({args})", _expression(produced.group(1))
                    if expected is not None and _keywords_ok(call, params):
                        found.setdefault(call, Check(call=call, expected=expected, source="doctest"))
                    break
        worded = _FOR_SHAPE.match(line)
        if worded and params == [worded.group(1)]:
            arg, expected = _expression(worded.group(2)), _expression(worded.group(3))
            if arg is not None and expected is not None:
                call = f"{entry_point}({arg})"
                found.setdefault(call, Check(call=call, expected=expected, source="doctest"))
        for match in re.finditer(rf"\b{re.escape(entry_point)}\s*\(", line):
            end = _call_end(line, match.end() - 1)
            if end is None:
                continue
            rest = line[end:]
            arrow = _ARROW.match(rest)
            if not arrow:
                continue
            call, expected = line[match.start() : end], _expression(rest[arrow.end() :])
            if expected is not None and _expression(call) is not None:
                found.setdefault(call, Check(call=call, expected=expected, source="doctest"))
        i += 1
    known = _task_names(task) | set(dir(builtins)) | {entry_point}
    return [
        c
        for c in found.values()  # free names (``f(n)``) are no example; an expected ``f(2) + f(1)`` is a recurrence
        if _free_names(c.call) | _free_names(c.expected or "") <= known
        and entry_point not in _free_names(c.expected or "")
    ]


def _free_names(expr: str) -> set[str]:
    try:
        tree = syntax.parse(expr, mode="eval")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _task_names(task: str) -> set[str]:
    """Names the task's own code defines or imports (what an example may use besides builtins)."""
    names: set[str] = set()
    for tree in task_trees(task):
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
    return names


def generated_checks(reply: str, entry_point: str, limit: int = 8) -> list[Check]:
    """The Tester's asserts (``assert f(x) == y``, ``assert f(x)``, ``assert not f(x)``) as checks."""
    found: dict[str, Check] = {}
    for block in blocks_of(reply) or [reply]:
        for raw in block.splitlines():
            line = raw.strip()
            if not line.startswith("assert "):
                continue
            try:
                node = syntax.parse(line).body[0]
            except (SyntaxError, IndexError):
                continue
            if not isinstance(node, ast.Assert):
                continue
            test = node.test
            if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
                call, expected = ast.unparse(test.left), ast.unparse(test.comparators[0])
            elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                call, expected = ast.unparse(test.operand), "False"
            else:
                call, expected = ast.unparse(test), "True"
            if _calls_entry(call, entry_point) and not _calls_entry(expected, entry_point):
                found.setdefault(call, Check(call=call, expected=expected, source="generated"))
    return list(found.values())[:limit]


def signature_entry_point(signature: str | None) -> str | None:
    """``"def f(x: int) -> int"`` -> ``"f"``."""
    match = re.search(r"def\s+([A-Za-z_]\w*)\s*\(", signature or "")
    return match.group(1) if match else None


#: "a (Python) function `name(args)`": a request that names the function it wants, with its parameters.
_NAMED_FUNCTION = re.compile(r"\bfunction\s+`([A-Za-z_]\w*)\s*\([^`]*\)[^`]*`")


def task_entry_point(task: str, signature: str | None = None) -> str | None:
    """The function the task asks for: from a signature, a ``def`` stub in the task, or a request
    naming it ("write a function `f(x)` that ..."; the last one, which is the current request when
    earlier turns of a chat come first)."""
    if signature:
        return signature_entry_point(signature)
    if not re.search(r"^\s*def\s", task, flags=re.MULTILINE) and not blocks_of(task):
        named = _NAMED_FUNCTION.findall(task)
        return named[-1] if named else None
    return stub_entry_point(task)
