"""Search/replace edits against the exact text of the project's files.

Why edits and not whole files or unified diffs: a small model cannot rewrite a 400-line file inside
its context, and it miscounts diff line numbers. Two reply forms become the same :class:`Edit`:
SEARCH/REPLACE blocks (Aider's and Agentless's form: quote the lines, give their replacement) and a
whole function rewritten under its file's ``### path`` header (the form the 1.5B model keeps to most
reliably: it mirrors how the code was shown), whose SEARCH is the function's current text.
Application is strict first (the quoted text must occur once), then tolerant of the drift models
introduce (indentation, trailing spaces, a line retyped slightly differently); an edit that still
does not apply is reported, so the caller can ask once for a repair and otherwise drop it.
"""

from __future__ import annotations

import ast
import difflib
import re
import textwrap
from collections.abc import Sequence
from pathlib import PurePosixPath

from pydantic import BaseModel

from triloop import syntax
from triloop.repo import docstrings
from triloop.repo.indent import indent_of, shift
from triloop.repo.repomap import RepoError, Symbol, file_symbols, is_test_path

_BLOCK = re.compile(
    r"(?:^|\n)[#`*\s]*([\w./-]+\.py)[`*\s]*\n(?:```[a-zA-Z]*\n)?<{5,9} ?SEARCH\s*\n(.*?)\n?={5,9}\s*\n(.*?)\n?>{5,9} ?REPLACE",
    re.DOTALL,
)
_REWRITE = re.compile(
    r"(?:^#{1,4}\s*`?([\w./-]+\.py)`?[^\n]*\n+)?```(?:python|py)\n(.*?)```", re.DOTALL | re.MULTILINE
)
_NESTED = re.compile(r"^```[a-z]*\n(#{1,4}\s*`?[\w./-]+\.py)", re.MULTILINE)
#: How alike a retyped search text must be to the file's lines to be taken for them.
FUZZY_RATIO = 0.92
#: ... and how much better than the next-best place, so a near-identical twin is not edited by mistake.
FUZZY_MARGIN = 0.03


class Edit(BaseModel):
    path: str
    search: str
    replace: str


class Applied(BaseModel):
    """Files after the edits, and what happened to each edit."""

    files: dict[str, str]  # only the files the edits changed
    applied: list[str] = []  # "exact" | "indent" | "fuzzy" per applied edit
    failed: list[tuple[Edit, str]] = []  # the edit and why it did not apply


def _inside(path: str) -> str:
    rel = PurePosixPath(path.strip())
    if rel.is_absolute() or ".." in rel.parts:
        raise RepoError(f"the model asked to edit {path!r}, outside the workspace; refused")
    return rel.as_posix()


def parse_edits(reply: str, files: dict[str, str] | None = None, shown: Sequence[Symbol] = ()) -> list[Edit]:
    """The edits of a reply: SEARCH/REPLACE blocks, each under its file's path, then functions rewritten
    in ```python blocks under a ``### path`` header (or named like a ``shown`` function).

    Paths must stay inside the project (an absolute path or ``..`` is refused outright, as hostile)."""
    edits = [Edit(path=_inside(p), search=s, replace=r) for p, s, r in _BLOCK.findall(reply)]
    if edits or files is None:
        return edits
    reply = _NESTED.sub(r"\1", reply)  # "```python" opened before the "### path" header, then again
    for header, code in _REWRITE.findall(reply):
        edits += rewrites(code, _inside(header) if header else None, files, shown)
    return edits


def rewrites(code: str, path: str | None, files: dict[str, str], shown: Sequence[Symbol]) -> list[Edit]:
    """Each function or class of ``code`` as an edit replacing the current one of that name, re-indented
    to where that one stands. A rewritten class whose methods the project has is taken method by
    method, so the methods it leaves out stay as they are."""
    code = textwrap.dedent(code)
    try:
        tree = syntax.parse(code)
    except (SyntaxError, ValueError):
        return []
    edits = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        target = _target(node.name, path, files, shown)
        if target is None:
            continue
        symbols = file_symbols(target.path, files[target.path])
        methods = [sub for sub in node.body if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef)]
        if isinstance(node, ast.ClassDef) and any(s.name.startswith(target.name + ".") for s in symbols):
            for method in methods:
                inner = next((s for s in symbols if s.name == f"{target.name}.{method.name}"), None)
                if inner is not None:
                    edits.append(_replacing(inner, method, code, files))
            continue
        edits.append(_replacing(target, node, code, files))
    return edits


def _replacing(target: Symbol, node: ast.AST, code: str, files: dict[str, str]) -> Edit:
    """The edit that puts ``node``'s text (from ``code``) where ``target`` stands, at its indentation."""
    lines = code.splitlines()
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    new = textwrap.dedent("\n".join(lines[start - 1 : node.end_lineno]))
    old = "\n".join(files[target.path].splitlines()[target.start - 1 : target.end])
    indent = old[: len(old) - len(old.lstrip())]
    new = "\n".join(indent + line if line.strip() else line for line in new.splitlines())
    return Edit(path=target.path, search=old, replace=docstrings.keep(old, new))


def _target(name: str, path: str | None, files: dict[str, str], shown: Sequence[Symbol]) -> Symbol | None:
    """What a rewrite of ``name`` replaces: the best-ranked shown function of that name, else the one
    definition of that name in ``path`` (or in the file of a shown method of a class of that name)."""
    for symbol in shown:
        if symbol.name.split(".")[-1] == name and (path is None or symbol.path == path):
            return symbol
    if path is None:
        path = next((s.path for s in shown if name in s.name.split(".")), None)
    if path is None or path not in files:
        return None
    try:
        found = [s for s in file_symbols(path, files[path]) if s.name.split(".")[-1] == name]
    except (SyntaxError, ValueError):
        return None
    return found[0] if len(found) == 1 else None


def _locate(text: str, search: str) -> tuple[int, int, str] | None:
    """(start, end, how) of the one place ``search`` matches ``text``'s lines, or None."""
    if not search.strip():
        return None
    if text.count(search) == 1:
        start = text.index(search)
        return start, start + len(search), "exact"
    lines = text.splitlines(keepends=True)
    stripped = [x.strip() for x in lines]
    want = [x.strip() for x in search.strip("\n").splitlines()]
    n = len(want)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    hits = [i for i in range(len(lines) - n + 1) if stripped[i : i + n] == want]
    if len(hits) == 1:
        return offsets[hits[0]], offsets[hits[0] + n], "indent"
    if hits:
        return None  # ambiguous: more than one place
    joined = "\n".join(want)
    ratios = sorted(
        (
            (difflib.SequenceMatcher(None, joined, "\n".join(stripped[i : i + n])).ratio(), i)
            for i in range(len(lines) - n + 1)
        ),
        reverse=True,
    )
    best, where = ratios[0] if ratios else (0.0, -1)
    runner_up = ratios[1][0] if len(ratios) > 1 else 0.0
    if best >= FUZZY_RATIO and best - runner_up > FUZZY_MARGIN:  # a near-twin elsewhere: too close to call
        return offsets[where], offsets[where + n], "fuzzy"
    return None


def _reindent(replace: str, matched: str, search: str) -> str:
    """Shift ``replace`` by the indentation the file has and the quoted text lacked (or had extra)."""
    return "\n".join(shift(replace.splitlines(), indent_of(matched) - indent_of(search)))


def apply_edits(files: dict[str, str], edits: Sequence[Edit]) -> Applied:
    """Apply ``edits`` in order to the project's ``files``; an edit that does not apply, edits a test
    or leaves its file unparsable is reported in ``failed`` and skipped."""
    changed: dict[str, str] = {}
    result = Applied(files={})
    for edit in edits:
        if is_test_path(edit.path):
            result.failed.append((edit, "edits a test; the tests are the judge, change the code"))
            continue
        text = changed.get(edit.path, files.get(edit.path))
        if text is None:
            if edit.search.strip():
                result.failed.append((edit, f"{edit.path} does not exist"))
                continue
            text = ""  # a new file: empty search
        if not edit.search.strip():
            new = edit.replace if not text else None
            how = "new file"
        else:
            spot = _locate(text, edit.search)
            if spot is None:
                result.failed.append((edit, f"the SEARCH text is not in {edit.path} (exactly once)"))
                continue
            start, end, how = spot
            matched = text[start:end]
            replace = edit.replace if how == "exact" else _reindent(edit.replace, matched, edit.search)
            if matched.endswith("\n") and replace and not replace.endswith("\n"):
                replace += "\n"
            new = text[:start] + replace + text[end:]
        if new is None:
            result.failed.append((edit, f"{edit.path} exists; an empty SEARCH only makes new files"))
            continue
        try:
            syntax.parse(new, filename=edit.path)
        except (SyntaxError, ValueError) as exc:
            result.failed.append((edit, f"{edit.path} would not parse: {exc}"))
            continue
        changed[edit.path] = new
        result.applied.append(how)
    result.files = changed
    return result
