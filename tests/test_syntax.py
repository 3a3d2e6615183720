"""Parsing from the graph's parallel threads goes through one lock (CPython 3.11 AST race)."""

from __future__ import annotations

import ast
import threading
import time

from triloop import syntax


def test_parse_is_ast_parse():
    tree = syntax.parse("1 + 2", mode="eval")
    assert isinstance(tree, ast.Expression) and ast.unparse(tree) == "1 + 2"


def test_threads_never_parse_at_the_same_time(monkeypatch):
    inside = 0
    most = 0
    guard = threading.Lock()
    real_parse = ast.parse

    def slow_parse(*args, **kwargs):
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        time.sleep(0.01)  # a parse long enough for the other threads to arrive
        with guard:
            inside -= 1
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", slow_parse)
    threads = [threading.Thread(target=syntax.parse, args=("x = 1",)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
