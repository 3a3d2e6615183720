"""Reproduce: from a bug report, a test that fails on the current code (checked), for the fix to pass.

Small models write the report's wrong result as the expected one, import from the wrong place, or
chain comparisons (``a > b == False`` means ``a > b and b == False``): each written test runs first,
and the next turn of the same conversation says what was wrong with it.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from triloop.agents.parsing import last_code
from triloop.repo import prompts
from triloop.repo.localize import render
from triloop.repo.repomap import main_package, outline

if TYPE_CHECKING:
    from triloop.repo.loop import _Run

REPRO_FILE = "test_triloop_reproduction.py"
#: Failures that show a mistake in a written test, not the reported bug.
_TEST_MISTAKE = re.compile(r"\b(NameError|ImportError|ModuleNotFoundError|SyntaxError)\b")
_EQUALITY = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)


class _Untangle(ast.NodeTransformer):
    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        last = node.ops[-1]
        if len(node.ops) > 1 and isinstance(last, _EQUALITY) and not isinstance(node.ops[0], _EQUALITY):
            inner = ast.Compare(left=node.left, ops=node.ops[:-1], comparators=node.comparators[:-1])
            return ast.Compare(left=inner, ops=[last], comparators=[node.comparators[-1]])
        return node


def untangle(test: str) -> str:
    """``a > b == False`` read as its writer meant it, ``(a > b) == False``; other code as it is."""
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return test
    chained = any(
        isinstance(n, ast.Compare) and len(n.ops) > 1 and isinstance(n.ops[-1], _EQUALITY)
        for n in ast.walk(tree)
    )
    return ast.unparse(_Untangle().visit(tree)) + "\n" if chained else test


def reproduce(run: _Run) -> list[str]:
    """A test that fails on the current code, written from the report; its failing node ids (or none)."""
    locations = run.locate({}, "", [])
    prompt = prompts.REPRODUCE.format(
        outline=outline(run.repo, budget_chars=600),
        spec=run.spec,
        code=render(locations, run.files, 3_000),
        package=main_package(run.repo),
    )
    turns: list[dict] = []
    for attempt in range(3):
        reply = run.ask(prompt, f"repo:reproduce:{attempt}", role="solver", max_tokens=400, earlier=turns)
        test = last_code(reply)
        if not test:
            break
        test = untangle(test)
        run.extra = {REPRO_FILE: test}
        result = run.suite({}, args=[REPRO_FILE])
        mine = {
            t: o for t, o in result.outcomes.items() if t == REPRO_FILE or t.startswith(REPRO_FILE + "::")
        }
        # "failed", not "error": a test that errors (a fixture, an import, a typo) can never pass; nor
        # can one that fails on a name it got wrong
        failing = [t for t, o in mine.items() if o == "failed" and "::" in t]
        if failing and not _TEST_MISTAKE.search(result.failures):
            return failing
        # one conversation: the next turn says what was wrong with this test (the prefix stays cached)
        turns += [{"role": "user", "content": prompt}, {"role": "assistant", "content": reply}]
        if mine and all(o in ("passed", "skipped") for o in mine.values()):
            prompt = prompts.REPRODUCE_PASSED
        else:
            prompt = prompts.REPRODUCE_BROKEN.format(error=result.failure_text(600).strip()[-600:])
    run.extra = {}
    return []
