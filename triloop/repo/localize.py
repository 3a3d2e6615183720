"""Localisation: narrow a repository task to the few functions worth showing the model.

Evidence, strongest first:
1. frames of the failing tests' tracebacks that lie in the project's own code (the deepest first);
2. the spectrum: which functions the failing tests ran and the passing ones did not (Ochiai, the
   standard score of spectrum-based fault localisation), recorded by the test run;
3. what the failing tests call: names used in the test functions' bodies, and the tested name in
   ``test_<name>``;
4. the task's words: identifiers it names exactly, then word overlap with each function's text
   (TF-IDF over split identifiers), which also finds code from an issue that names no function.
Only the chosen functions' source goes into prompts, cut to a character budget, so a 10,000-file
project costs the same prompt as a 10-file one.
"""

from __future__ import annotations

import ast
import math
import re
import textwrap
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel

from triloop import syntax
from triloop.repo import docstrings
from triloop.repo.repomap import RepoMap, Symbol

_PYTEST_FRAME = re.compile(r"^([\w./-]+\.py):(\d+): in (\S+)", re.MULTILINE)
_PY_FRAME = re.compile(r'File "([^"]+\.py)", line (\d+), in (\S+)')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STOP = {
    "the",
    "and",
    "for",
    "with",
    "that",
    "this",
    "not",
    "but",
    "are",
    "was",
    "should",
    "when",
    "def",
    "return",
    "self",
    "none",
    "true",
    "false",
    "import",
    "from",
    "test",
    "tests",
    "get",
    "set",
    "is",
    "of",
    "to",
    "in",
    "it",
    "a",
    "an",
    "be",
    "or",
    "if",
    "on",
    "as",
    "by",
    "at",
    "i",
    "we",
    "expected",
}
#: Python's data model: the special method an operator or builtin in the task's code calls.
_SPECIAL = {
    ast.Gt: "__gt__", ast.GtE: "__ge__", ast.Lt: "__lt__", ast.LtE: "__le__", ast.Eq: "__eq__",
    ast.NotEq: "__ne__", ast.In: "__contains__", ast.NotIn: "__contains__", ast.Add: "__add__",
    ast.Sub: "__sub__", ast.Mult: "__mul__", ast.Div: "__truediv__", ast.FloorDiv: "__floordiv__",
    ast.Mod: "__mod__", ast.BitAnd: "__and__", ast.BitOr: "__or__", ast.Subscript: "__getitem__",
}  # fmt: skip
_BUILTIN_SPECIAL = {"len": "__len__", "str": "__str__", "repr": "__repr__", "hash": "__hash__",
                    "iter": "__iter__", "bool": "__bool__", "int": "__int__", "float": "__float__",
                    "format": "__format__"}  # fmt: skip
#: A location scoring below this share of the best one is noise, not worth its prompt tokens.
MIN_SHARE = 0.15
#: A function longer than this is shown as a window around the lines the evidence points at.
MAX_SYMBOL_LINES = 80


class Frame(BaseModel):
    path: str
    line: int
    function: str


class Location(BaseModel):
    """A function (or part of one) chosen for the prompt, with why."""

    symbol: Symbol
    score: float
    reasons: list[str]
    lines: list[int] = []  # lines the traceback points at


def frames(output: str, repo: RepoMap) -> list[Frame]:
    """Traceback frames of ``output`` that lie in files of ``repo``, in the order printed (outermost first)."""
    found: list[tuple[int, Frame]] = []
    for pattern in (_PYTEST_FRAME, _PY_FRAME):
        for match in pattern.finditer(output):
            path = match.group(1).removeprefix("/workspace/").removeprefix("./")
            if path in repo.files:
                found.append(
                    (match.start(), Frame(path=path, line=int(match.group(2)), function=match.group(3)))
                )
    return [f for _, f in sorted(found, key=lambda pair: pair[0])]


def special_methods(spec: str) -> set[str]:
    """The special methods the task's code spans (```...``` or `...`) run: `a > b` runs ``__gt__``,
    `len(x)` ``__len__``. A report about an operator names no function, but the method it calls."""
    names: set[str] = set()
    for span in re.findall(r"`([^`\n]+)`", spec):
        try:
            tree = ast.parse(span.strip(), mode="eval")
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            ops = node.ops if isinstance(node, ast.Compare) else [getattr(node, "op", node)]
            names.update(_SPECIAL[type(op)] for op in ops if type(op) in _SPECIAL)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in _BUILTIN_SPECIAL:
                names.add(_BUILTIN_SPECIAL[node.func.id])
    return names


def split_words(text: str) -> list[str]:
    """Identifier parts, lower-cased: ``camelCase_name`` -> camel, case, name."""
    words: list[str] = []
    for token in _WORD.findall(text):
        for part in re.split(r"_+|(?<=[a-z0-9])(?=[A-Z])", token):
            part = part.lower()
            if len(part) > 1 and part not in _STOP:
                words.append(part)
    return words


def tested_names(node_ids: Sequence[str], repo: RepoMap, files: dict[str, str]) -> Counter[str]:
    """Names the failing tests use (calls, attributes) and the name in ``test_<name>``."""
    names: Counter[str] = Counter()
    for node in node_ids:
        path, _, rest = node.partition("::")
        func = rest.split("::")[-1].split("[")[0]
        names[func.removeprefix("test_")] += 1
        entry = repo.files.get(path)
        symbol = next((s for s in entry.symbols if s.name.split(".")[-1] == func), None) if entry else None
        if symbol is None or path not in files:
            continue
        body = "\n".join(files[path].splitlines()[symbol.start - 1 : symbol.end])
        try:
            tree = syntax.parse(textwrap.dedent(body))
        except SyntaxError:
            continue
        for sub in ast.walk(tree):
            if isinstance(sub, ast.Name):
                names[sub.id] += 1
            elif isinstance(sub, ast.Attribute):
                names[sub.attr] += 1
    return names


def _lexical(spec: str, code: Sequence[Symbol], files: dict[str, str]) -> list[tuple[Symbol, float]]:
    """TF-IDF cosine between the task's words and each symbol's own lines, 0..1."""
    query = Counter(split_words(spec))
    if not query:
        return []
    lines = {path: text.splitlines() for path, text in files.items()}
    docs = [
        (
            s,
            Counter(
                split_words(f"{s.name} {s.doc} " + "\n".join(lines.get(s.path, [])[s.start - 1 : s.end]))
            ),
        )
        for s in code
    ]
    n = len(docs) or 1
    df = Counter(w for _, doc in docs for w in doc)
    idf = {w: math.log(1 + n / df[w]) for w in df}
    q = {w: c * idf.get(w, 0.0) for w, c in query.items()}
    qn = math.sqrt(sum(v * v for v in q.values())) or 1.0
    scores = []
    for symbol, doc in docs:
        d = {w: (1 + math.log(c)) * idf[w] for w, c in doc.items()}
        dn = math.sqrt(sum(v * v for v in d.values())) or 1.0
        scores.append((symbol, sum(q[w] * d[w] for w in q if w in d) / (qn * dn)))
    return scores


def localize(
    repo: RepoMap,
    files: dict[str, str],
    *,
    spec: str,
    failures: str = "",
    failing_tests: Sequence[str] = (),
    calls: dict[str, list[str]] | None = None,
    top: int = 4,
) -> list[Location]:
    """The ``top`` project functions most likely to hold the bug, best first."""
    symbols = repo.symbols(tests=False)
    classes_with_methods = {(s.path, s.name.rsplit(".", 1)[0]) for s in symbols if "." in s.name}
    code = [s for s in symbols if s.kind == "function" or (s.path, s.name) not in classes_with_methods]
    at_line = {(s.path, s.start): s for s in code}
    found: dict[str, Location] = {}

    def add(symbol: Symbol, score: float, reason: str, line: int | None = None) -> None:
        key = f"{symbol.path}::{symbol.name}"
        loc = found.setdefault(key, Location(symbol=symbol, score=0.0, reasons=[]))
        loc.score += score
        if reason not in loc.reasons:
            loc.reasons.append(reason)
        if line is not None and line not in loc.lines:
            loc.lines.append(line)

    stack = [f for f in frames(failures, repo) if not repo.files[f.path].is_test]
    for depth, frame in enumerate(reversed(stack)):  # the deepest frame of the project's code first
        symbol = repo.enclosing(frame.path, frame.line)
        if symbol is not None:
            add(symbol, 10.0 / (1 + 0.5 * depth), "in the failing traceback", frame.line)
    for (path, start), score in ochiai(calls or {}, failing_tests).items():
        symbol = at_line.get((path, start))
        if symbol is not None and score > 0:
            add(symbol, 6.0 * score, f"run by the failing tests (spectrum {score:.2f})")
    by_name: dict[str, list[Symbol]] = {}
    for symbol in code:
        by_name.setdefault(symbol.name.split(".")[-1], []).append(symbol)
    weight = 2.0 if calls else 4.0  # with a spectrum, "the test names it" adds less: passing tests may too
    for name, count in tested_names(failing_tests, repo, files).items():
        for symbol in by_name.get(name, []):
            add(symbol, weight * min(count, 3) / len(by_name[name]), "called by a failing test")
    for name in set(_WORD.findall(spec)) | special_methods(spec):
        for symbol in by_name.get(name, []):
            add(symbol, 3.0 / len(by_name[name]), "named in the task")
    for symbol, score in _lexical(spec + " " + " ".join(failing_tests), code, files):
        if score > 0.05:
            add(symbol, 3.0 * score, "words shared with the task")
    ranked = sorted(found.values(), key=lambda loc: -loc.score)
    floor = ranked[0].score * MIN_SHARE if ranked else 0.0
    return [loc for loc in ranked[:top] if loc.score >= floor]


def ochiai(calls: dict[str, list[str]], failing: Sequence[str]) -> dict[tuple[str, int], float]:
    """Ochiai suspiciousness per function ("path:first line"): failed(f) / sqrt(failed * (failed(f) + passed(f)))."""
    failing_set = set(failing)
    ran_failed: Counter[str] = Counter()
    ran_passed: Counter[str] = Counter()
    for node, funcs in calls.items():
        (ran_failed if node in failing_set else ran_passed).update(set(funcs))
    total = len(failing_set & set(calls)) or 1
    scores = {}
    for func in ran_failed:
        path, _, line = func.rpartition(":")
        if line.isdigit():
            scores[(path, int(line))] = ran_failed[func] / math.sqrt(
                total * (ran_failed[func] + ran_passed[func])
            )
    return scores


def excerpt(location: Location, max_lines: int = MAX_SYMBOL_LINES) -> tuple[int, int]:
    """The lines (1-based, inclusive) of a location to show: the whole function when short enough,
    else a window around the lines the traceback names (or its start)."""
    start, end = location.symbol.start, location.symbol.end
    if end - start + 1 <= max_lines:
        return start, end
    centre = location.lines[0] if location.lines else start + max_lines // 2
    low = max(start, centre - max_lines // 2)
    return low, min(end, low + max_lines - 1)


def render(locations: Sequence[Location], files: dict[str, str], budget_chars: int = 6_000) -> str:
    """The chosen code, each piece under ``### path (lines a-b, in name)``, in budget, best first."""
    parts: list[str] = []
    used = 0
    for loc in locations:
        text = files[loc.symbol.path]
        start, end = excerpt(loc)
        body = docstrings.fold("\n".join(text.splitlines()[start - 1 : end]))
        piece = f"### {loc.symbol.path} (lines {start}-{end}, {loc.symbol.name})\n```python\n{body}\n```"
        if used + len(piece) > budget_chars:
            if parts:
                continue
            piece = piece[: budget_chars - 4] + "\n```"
        parts.append(piece)
        used += len(piece)
    return "\n\n".join(parts)
