"""``ast.parse`` for code that runs in the graph's parallel threads.

CPython 3.11 (seen on 3.11.7) can fail when two threads build AST objects at once: "SystemError: AST
constructor recursion depth mismatch" (python/cpython#106905). The solve graph drafts and checks
candidates in parallel threads and every one of them parses code, so all parsing goes through one lock.
Parsing a reply takes well under a millisecond; the lock costs nothing that matters.
"""

from __future__ import annotations

import ast
import threading

_PARSING = threading.Lock()


def parse(source: str, mode: str = "exec", filename: str = "<unknown>") -> ast.AST:
    """``ast.parse(source, filename, mode)``, one thread at a time."""
    with _PARSING:
        return ast.parse(source, filename, mode)
