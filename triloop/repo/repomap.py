"""A map of a Python repository: its files, classes and functions with signatures and line ranges.

Why: a project of thousands of lines does not fit a small model's prompt, but its outline does, and
the outline is what localisation searches and what the model reads to know where things live. Built
from ``ast`` (no extra dependency); each file's entry carries the hash of its text, so a map saved
after one run is rebuilt only for the files that changed since (:func:`build_map` with ``previous``).
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from triloop import syntax
from triloop.errors import TriloopError

#: Folders that hold environments, caches or build output, never the project's own code.
SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "env",
    "__pycache__",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    "build",
    "dist",
    ".tox",
    ".eggs",
    "site-packages",
}


class RepoError(TriloopError):
    """The repository cannot be used (missing, no Python, an edit outside it)."""

    exit_code = 2


class Symbol(BaseModel):
    """A class or function, with the lines it spans (1-based, inclusive)."""

    path: str
    name: str  # qualified inside its file: "Inflector.underscore"
    kind: Literal["class", "function"]
    signature: str  # "def underscore(word)" / "class Inflector(Base)"
    start: int
    end: int
    doc: str = ""  # the docstring's first line


class FileEntry(BaseModel):
    sha1: str
    lines: int
    symbols: list[Symbol]
    is_test: bool
    error: str = ""  # the file does not parse: kept, with no symbols


class RepoMap(BaseModel):
    files: dict[str, FileEntry]

    def symbols(self, *, tests: bool | None = None) -> list[Symbol]:
        """Every symbol; ``tests=False`` only the project's code, ``True`` only its tests."""
        return [s for e in self.files.values() if tests is None or e.is_test == tests for s in e.symbols]

    def enclosing(self, path: str, line: int) -> Symbol | None:
        """The innermost symbol of ``path`` whose lines hold ``line``."""
        entry = self.files.get(path)
        if entry is None:
            return None
        inside = [s for s in entry.symbols if s.start <= line <= s.end]
        return min(inside, key=lambda s: s.end - s.start) if inside else None

    def code_lines(self) -> int:
        return sum(e.lines for e in self.files.values() if not e.is_test)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RepoMap | None:
        """A saved map, or None when there is none or it cannot be read (it is only a cache)."""
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None


#: Top-level folders (and files) beside the project's code: shown last, never taken for its package.
ASIDE = ("docs", "doc", "examples", "example", "benchmarks", "benchmark", "scripts", "tools", "setup.py")


def import_name(path: str) -> str:
    """The top-level import name a code file belongs to (``src/semver/version.py`` -> ``semver``), or
    "" for files aside from the code (docs, examples, ``setup.py``)."""
    parts = path.split("/")
    if parts[0] in ("src", "lib") and len(parts) > 1:
        parts = parts[1:]
    if parts[0] in ASIDE or is_test_path(path) or parts[0].startswith("_"):
        return ""
    return parts[0].removesuffix(".py")


def main_package(repo: RepoMap) -> str:
    """The import name holding most of the project's code: what a new test imports from."""
    sizes: dict[str, int] = {}
    for path, entry in repo.files.items():
        name = import_name(path)
        if name:
            sizes[name] = sizes.get(name, 0) + entry.lines
    return max(sizes, key=lambda n: sizes[n]) if sizes else ""


def is_test_path(path: str) -> bool:
    """pytest's conventions: ``test_*.py``, ``*_test.py``, ``conftest.py`` or a ``tests``/``test`` folder."""
    parts = path.split("/")
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(p in ("tests", "test", "testing") for p in parts[:-1])
    )


def python_files(root: Path) -> dict[str, str]:
    """The project's Python files (relative POSIX path -> text), environments and hidden folders skipped."""
    if not root.is_dir():
        raise RepoError(f"workspace {root} is not a directory")
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if path.is_symlink() or any(p in SKIP_DIRS or p.startswith(".") for p in rel.parts[:-1]):
            continue
        files[rel.as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    if not files:
        raise RepoError(f"workspace {root} holds no Python files")
    return files


def _signature(node: ast.AST, source: str) -> str:
    if isinstance(node, ast.ClassDef):
        bases = ", ".join(ast.unparse(b) for b in node.bases)
        return f"class {node.name}({bases})" if bases else f"class {node.name}"
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{prefix} {node.name}({ast.unparse(node.args)}){returns}"


def file_symbols(path: str, source: str) -> list[Symbol]:
    """Classes and functions (nested ones too, qualified by their parents) of one file."""
    tree = syntax.parse(source, filename=path)
    found: list[Symbol] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                doc = (ast.get_docstring(child) or "").strip().split("\n")[0][:120]
                kind = "class" if isinstance(child, ast.ClassDef) else "function"
                found.append(
                    Symbol(
                        path=path,
                        name=name,
                        kind=kind,
                        signature=_signature(child, source),
                        start=start,
                        end=child.end_lineno or child.lineno,
                        doc=doc,
                    )
                )
                visit(child, f"{name}.")

    visit(tree, "")
    return found


def build_map(root: Path, previous: RepoMap | None = None, files: dict[str, str] | None = None) -> RepoMap:
    """The map of ``root`` (or of ``files``); entries of ``previous`` whose text is unchanged are reused."""
    files = python_files(root) if files is None else files
    old = previous.files if previous is not None else {}
    entries: dict[str, FileEntry] = {}
    for path, text in files.items():
        sha1 = hashlib.sha1(text.encode("utf-8")).hexdigest()
        if path in old and old[path].sha1 == sha1:
            entries[path] = old[path]
            continue
        try:
            symbols, error = file_symbols(path, text), ""
        except (SyntaxError, ValueError) as exc:
            symbols, error = [], f"does not parse: {exc}"
        entries[path] = FileEntry(
            sha1=sha1, lines=text.count("\n") + 1, symbols=symbols, is_test=is_test_path(path), error=error
        )
    return RepoMap(files=entries)


def outline(repo: RepoMap, paths: list[str] | None = None, *, budget_chars: int = 1_500) -> str:
    """A compact outline for prompts: each file with its top-level classes and functions, in budget."""
    lines: list[str] = []
    used = 0
    # the code first, files aside from it (docs, examples) last: a tight budget then shows the code
    for path in paths if paths is not None else sorted(repo.files, key=lambda p: (not import_name(p), p)):
        entry = repo.files.get(path)
        if entry is None or entry.is_test:
            continue
        tops = [s.name for s in entry.symbols if "." not in s.name]
        line = f"{path} ({entry.lines} lines): {', '.join(tops[:12])}{' ...' if len(tops) > 12 else ''}"
        if used + len(line) > budget_chars:
            lines.append("...")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)
