"""Long docstrings folded in prompts and kept in edits.

Why: a docstring is often most of a library function's lines (inflection's ``underscore`` is 19 lines,
3 of them code). Shown whole, it is prefill the model pays for and text it copies back into its reply,
token by token. So prompts show its first line and a marker, and when the model rewrites a function
with that folded docstring (or none), the original docstring is put back, so the edit changes only the
code.
"""

from __future__ import annotations

import ast
import textwrap

from triloop import syntax
from triloop.repo.indent import indent_of, shift

FOLDED = "(docstring shortened)"
#: Docstrings of more lines than this are folded.
MAX_LINES = 3


def _first_definition(source: str) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None:
    """The first function or class of ``source`` (indented code is dedented first), if it has a body."""
    try:
        tree = syntax.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError):
        return None
    definitions = (
        n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    )
    node = next(definitions, None)
    return node if node is not None and node.body else None


def _docstring_lines(source: str) -> tuple[int, int] | None:
    """0-based (first, last) line of the docstring of the first function or class in ``source``."""
    node = _first_definition(source)
    first = node.body[0] if node is not None else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first.lineno - 1, (first.end_lineno or first.lineno) - 1
    return None


def fold(source: str) -> str:
    """``source`` (one function or class) with a docstring of more than MAX_LINES lines cut to its first."""
    span = _docstring_lines(source)
    if span is None or span[1] - span[0] + 1 <= MAX_LINES:
        return source
    lines = source.splitlines()
    first = lines[span[0]].rstrip()
    quote = '"""' if '"""' in first else "'''"
    head = first if first.strip() not in ('"""', "'''", 'r"""') else first + " " + lines[span[0] + 1].strip()
    indent = first[: len(first) - len(first.lstrip())]
    shortened = f"{head.rstrip()} {FOLDED}{quote}" if not head.rstrip().endswith(quote) else head
    if not shortened.lstrip().startswith(("'", '"', "r", "u")):
        shortened = indent + shortened.lstrip()
    return "\n".join([*lines[: span[0]], shortened, *lines[span[1] + 1 :]])


def keep(old: str, new: str) -> str:
    """``new`` (a rewrite of ``old``) with ``old``'s docstring when the rewrite folded or dropped it."""
    old_span = _docstring_lines(old)
    if old_span is None:
        return new
    old_lines, new_lines = old.splitlines(), new.splitlines()
    doc = old_lines[old_span[0] : old_span[1] + 1]
    new_span = _docstring_lines(new)
    if new_span is not None:
        text = "\n".join(new_lines[new_span[0] : new_span[1] + 1])
        if FOLDED not in text and len(text) >= len("\n".join(doc)):
            return new  # the model wrote a docstring of its own: keep it
        return "\n".join([*new_lines[: new_span[0]], *doc, *new_lines[new_span[1] + 1 :]])
    head = _signature_end(new)
    if head is None:
        return new
    return "\n".join([*new_lines[: head + 1], *_reindent(doc, new_lines, head), *new_lines[head + 1 :]])


def _signature_end(source: str) -> int | None:
    """0-based line where the ``def``/``class`` header of the first definition ends."""
    node = _first_definition(source)
    return None if node is None else node.body[0].lineno - 2


def _reindent(doc: list[str], new_lines: list[str], head: int) -> list[str]:
    """The docstring lines shifted to the indentation of the rewrite's body."""
    body = next((x for x in new_lines[head + 1 :] if x.strip()), "")
    return shift(doc, indent_of(body) - indent_of(doc[0]))
