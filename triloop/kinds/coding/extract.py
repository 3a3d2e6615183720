"""Getting a complete, runnable module out of a model's reply, with ``ast`` rather than regexes.

Small models wrap good code in bad shapes: code JSON-escaped into a fence (literal ``\\n``), a usage
block after the function that calls or even redefines it, an unterminated fence when ``max_tokens``
cut the reply, the stub echoed back with no body, code inside a JSON object, or only the function's
body. :func:`extract_code` repairs what can be repaired safely and otherwise names the defect, so the
caller can ask for a fix once with that name instead of testing code that cannot work.
"""

from __future__ import annotations

import ast
import json
import re

from pydantic import BaseModel

from triloop import syntax

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_CODE_LANGS = {"", "python", "py", "python3", "json"}


class Extraction(BaseModel):
    """The module taken from a reply: ``code`` when usable, else ``defect`` says what is wrong."""

    code: str | None = None
    defect: str | None = None
    repairs: list[str] = []


def blocks_of(text: str) -> list[str]:
    """Code-like blocks in ``text``: fenced blocks (an unterminated last fence included), then, when
    there is no fence, the whole reply if it parses as Python."""
    found = [body for lang, body in _FENCE.findall(text) if lang.lower() in _CODE_LANGS]
    if found or "```" in text:
        return found
    return [text] if _parses(text) else []


def _parses(source: str) -> bool:
    try:
        syntax.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def _from_json(block: str) -> str | None:
    """Code held in a JSON object (``{"code": "..."}`` or any string value that defines something)."""
    stripped = block.strip()
    if not stripped.startswith("{"):
        return None
    try:
        value = json.loads(stripped, strict=False)
    except json.JSONDecodeError:
        return None
    strings: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str) and re.search(r"^\s*(def|class|import|from)\s", node, re.MULTILINE):
            strings.append(node)

    walk(value)
    return max(strings, key=len) if strings else None


def _unescape(block: str) -> str | None:
    """Code that went through a JSON string: literal ``\\n`` / ``\\"`` where newlines and quotes belong."""
    if "\\n" not in block or block.count("\n") > block.count("\\n"):
        return None
    try:
        return json.loads('"' + block.strip().replace('"', '\\"').replace('\\\\"', '\\"') + '"')
    except json.JSONDecodeError:
        return block.replace("\\n", "\n").replace('\\"', '"').replace("\\'", "'").replace("\\t", "\t")


def _repair(block: str, repairs: list[str]) -> str:
    """The block made parseable where a safe repair exists (JSON-wrapped or JSON-escaped code)."""
    from_json = _from_json(block)
    if from_json is not None and _parses(from_json):  # a dict literal parses as Python too
        repairs.append("code inside JSON")
        return from_json
    if _parses(block):
        return block
    fixed = _unescape(block)
    if fixed is not None and _parses(fixed):
        repairs.append("JSON-escaped code")
        return fixed
    return block


def is_stub(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body of only a docstring, ``pass``, ``...`` or ``raise NotImplementedError``."""
    for stmt in fn.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring or ...
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt):
            continue
        return False
    return True


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = node
    return found


def _span(node: ast.stmt, lines: list[str]) -> str:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])
    return "\n".join(lines[start - 1 : node.end_lineno])


def _keep(node: ast.stmt, defined: set[str]) -> bool:
    """Top-level statements that belong to a module: imports, definitions, constants.

    Example calls, prints, asserts, loops and ``if __name__ == "__main__":`` blocks are usage, not
    solution: dropped (they could also hang or crash the module on import).
    """
    if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign):
        calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
        return not any(
            isinstance(c.func, ast.Name) and c.func.id in defined | {"input", "print"} for c in calls
        )
    return False


def _module(tree: ast.Module, source: str) -> tuple[list[ast.stmt], list[str]]:
    lines = source.splitlines()
    defined = {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    kept: list[ast.stmt] = []
    seen: dict[str, int] = {}
    for node in tree.body:
        if not _keep(node, defined):
            continue
        name = getattr(node, "name", None)
        if name is not None and name in seen:  # a later redefinition (often a stub in a usage block)
            earlier = kept[seen[name]]
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and is_stub(node)
                and not (isinstance(earlier, ast.FunctionDef | ast.AsyncFunctionDef) and is_stub(earlier))
            ):
                continue
            kept[seen[name]] = node
            continue
        if name is not None:
            seen[name] = len(kept)
        kept.append(node)
    return kept, [_span(n, lines) for n in kept]


def _names_used(nodes: list[ast.stmt]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def _prompt_context(prompt: str | None, entry_point: str | None) -> tuple[list[str], dict[str, str]]:
    """Imports and complete helper definitions of the task's own code (the stub excluded)."""
    if not prompt:
        return [], {}
    try:
        tree = syntax.parse(prompt)
    except SyntaxError:
        return [], {}
    lines = prompt.splitlines()
    imports = [_span(n, lines) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    helpers = {
        n.name: _span(n, lines)
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and n.name != entry_point
        and not (isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and is_stub(n))
    }
    return imports, helpers


def _as_body(block: str, prompt: str | None, entry_point: str | None) -> str | None:
    """A reply holding only the function's body, continued from the task's stub."""
    if not prompt or not entry_point or f"def {entry_point}" not in prompt:
        return None
    body = block.strip("\n")
    if not body.strip() or re.match(r"\s*(def|class|import|from|@|\{)", body):
        return None  # a definition or module, not a body
    if not body.startswith((" ", "\t")):
        body = "\n".join("    " + line if line.strip() else line for line in body.splitlines())
    joined = prompt.rstrip() + "\n" + body + "\n"
    try:
        fn = _functions(syntax.parse(joined)).get(entry_point)
    except SyntaxError:
        return None
    if fn is None or is_stub(fn):
        return None
    acts = (ast.Return, ast.Yield, ast.Raise, ast.Assign, ast.AugAssign, ast.For, ast.While, ast.If, ast.Call)
    return joined if any(isinstance(n, acts) for n in ast.walk(fn)) else None  # prose parses as a bare name


def _defect_of(block: str, entry_point: str | None) -> str:
    try:
        tree = syntax.parse(block)
    except SyntaxError as exc:
        return f"the code does not parse: {exc.msg} (line {exc.lineno})"
    fn = _functions(tree).get(entry_point or "")
    if entry_point and fn is None:
        return f"the code does not define `{entry_point}`"
    if fn is not None and is_stub(fn):
        return f"`{entry_point}` has no body (only a docstring or pass)"
    return "the code defines nothing"


def _score(tree: ast.Module, entry_point: str | None) -> tuple[int, int]:
    fns = _functions(tree)
    has_entry = entry_point in fns and not is_stub(fns[entry_point]) if entry_point else bool(fns)
    return int(has_entry), len(tree.body)


def extract_code(
    text: str, entry_point: str | None = None, prompt: str | None = None, *, truncated: bool = False
) -> Extraction:
    """The complete module in ``text`` that defines ``entry_point`` with a real body.

    Picks the block that defines the entry point (else the most complete one), keeps its imports,
    helpers and constants, drops usage code, adds imports and helper definitions from other blocks and
    from the task's own code (``prompt``) that it uses but lacks. ``truncated`` (the reply hit
    ``max_tokens``) turns an unparseable block into the defect "cut off" instead of a syntax error.
    """
    repairs: list[str] = []
    blocks = [_repair(b, repairs) for b in blocks_of(text)]
    parsed = [(b, syntax.parse(b)) for b in blocks if _parses(b)]
    if not parsed:
        for block in reversed(blocks):
            as_body = _as_body(block, prompt, entry_point)
            if as_body is not None:
                repairs.append("body completed from the task's stub")
                parsed = [(as_body, syntax.parse(as_body))]
                break
    if not parsed:
        if truncated:
            return Extraction(defect="the reply was cut off (max_tokens) before the code was complete")
        if not blocks:
            return Extraction(defect="the reply has no ```python code block")
        return Extraction(defect=_defect_of(blocks[-1], entry_point), repairs=repairs)
    # the best block: defines the entry point with a body; among equals the later (the final version)
    index = max(range(len(parsed)), key=lambda i: (*_score(parsed[i][1], entry_point), i))
    source, tree = parsed[index]
    nodes, parts = _module(tree, source)
    fns = {getattr(n, "name", None): n for n in nodes}
    entry = fns.get(entry_point) if entry_point else None
    if entry_point and (
        entry is None or (isinstance(entry, ast.FunctionDef | ast.AsyncFunctionDef) and is_stub(entry))
    ):
        as_body = _as_body(source, prompt, entry_point)
        if as_body is None:
            return Extraction(defect=_defect_of(source, entry_point), repairs=repairs)
        repairs.append("body completed from the task's stub")
        nodes, parts = _module(syntax.parse(as_body), as_body)
        fns = {getattr(n, "name", None): n for n in nodes}
    if not fns.keys() - {None}:
        return Extraction(defect="the code defines nothing", repairs=repairs)
    defined = {name for name in fns if name}
    imports = [p for n, p in zip(nodes, parts, strict=True) if isinstance(n, ast.Import | ast.ImportFrom)]
    body = [p for n, p in zip(nodes, parts, strict=True) if not isinstance(n, ast.Import | ast.ImportFrom)]
    used = _names_used(nodes)
    extra_imports: list[str] = []
    extra_defs: list[str] = []
    for other, other_tree in (p for i, p in enumerate(parsed) if i != index):
        other_nodes, other_parts = _module(other_tree, other)
        for node, part in zip(other_nodes, other_parts, strict=True):
            name = getattr(node, "name", None)
            if isinstance(node, ast.Import | ast.ImportFrom):
                extra_imports.append(part)
            elif name and name in used and name not in defined:
                extra_defs.append(part)
                defined.add(name)
    prompt_imports, prompt_helpers = _prompt_context(prompt, entry_point)
    helpers = [src for name, src in prompt_helpers.items() if name in used and name not in defined]
    all_imports = list(dict.fromkeys([*prompt_imports, *imports, *extra_imports]))
    code = "\n".join(all_imports) + ("\n\n\n" if all_imports else "")
    code += "\n\n\n".join([*helpers, *extra_defs, *body]) + "\n"
    if not _parses(code):  # an import that only parsed in its own block: fall back to the block alone
        code = "\n\n\n".join(["\n".join(imports), *body]).strip() + "\n"
    return Extraction(code=code, repairs=repairs)


def task_trees(task: str) -> list[ast.Module]:
    """The task's code as syntax trees: the whole task when it is code, else each code block in it."""
    trees = []
    for block in [task, *blocks_of(task)]:
        try:
            trees.append(syntax.parse(block))
        except SyntaxError:
            continue
    return trees


def stub_entry_point(task: str) -> str | None:
    """The function a coding task asks for: the last top-level ``def`` of the task's code whose body is
    a stub (docstring only). None when the task holds no such stub."""
    for tree in task_trees(task):
        stubs = [
            n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and is_stub(n)
        ]
        if stubs:
            return stubs[-1]
    match = re.findall(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", task, flags=re.MULTILINE)
    return match[-1] if match else None
