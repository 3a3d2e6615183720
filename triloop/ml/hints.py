"""API hints for a failed experiment, looked up in the sandbox where it ran.

Small models misremember library APIs (``HistGradientBoostingClassifier(n_estimators=...)``, an import
from the wrong module), and the traceback alone does not tell them the right name: the debug step then
rewrites the same call. The interpreter knows the answer, so ask it: import what the script imports
and list the parameters the call accepts, or the names the module does have. Only the script's own
import lines run (never the script), in the sandbox, with a short timeout.
"""

from __future__ import annotations

import ast
import json
import re

from triloop.tools.sandbox.base import Sandbox

_UNEXPECTED_KWARG = re.compile(
    r"(?P<name>[A-Za-z_][\w.]*?)(?:\.__init__)?\(\) got an unexpected keyword argument '(?P<arg>\w+)'"
)
_MISSING_NAME = (
    re.compile(r"cannot import name '(?P<arg>\w+)' from '(?P<name>[\w.]+)'"),
    re.compile(r"module '(?P<name>[\w.]+)' has no attribute '(?P<arg>\w+)'"),
)

_NO_MODULE = re.compile(r"No module named '(?P<name>[\w.]+)'")
#: Libraries a model may reach for; the ones the sandbox has are named in every prompt's brief.
KNOWN_LIBRARIES = ("numpy", "pandas", "scipy", "sklearn", "xgboost", "lightgbm", "catboost", "torch")

_PROBE = """\
import difflib, inspect, json
{imports}
kind, name, arg = {kind!r}, {name!r}, {arg!r}
if kind == "kwarg":
    obj = eval(name)
    params = [p for p in inspect.signature(obj).parameters if p not in ("self", "args", "kwargs")]
    print(json.dumps(params))
else:
    import importlib
    names = [n for n in dir(importlib.import_module(name)) if not n.startswith("_")]
    print(json.dumps(difflib.get_close_matches(arg, names, n=6, cutoff=0.4)))
"""


def _imports(script: str) -> str:
    """The script's top-level import lines (they name what the failing call refers to)."""
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return ""
    return "\n".join(
        ast.unparse(n)
        for n in tree.body
        if isinstance(n, ast.Import) or (isinstance(n, ast.ImportFrom) and n.module != "__future__")
    )


def _parse(error: str) -> tuple[str, str, str] | None:
    """(kind, name, arg) of the last API error in ``error``, or None."""
    for line in reversed(error.strip().splitlines()):
        if (m := _UNEXPECTED_KWARG.search(line)) is not None:
            return "kwarg", m["name"], m["arg"]
        for pattern in _MISSING_NAME:
            if (m := pattern.search(line)) is not None:
                return "missing", m["name"], m["arg"]
    return None


READS_FILES = (
    "there are no files to read: build_model() only returns an unfitted model (no reading, no fitting, "
    "no code outside functions that uses data); the harness passes the rows to its fit(X, y)."
)
COLUMNS_LOST = (
    "a step after a ColumnTransformer gets a numpy array, not the DataFrame: select columns (by name or "
    "make_column_selector) only in the pipeline's first step, one ColumnTransformer for all columns."
)
#: Errors that break the contract rather than a library's API, and what to tell the fix.
CONTRACT_SLIPS = (
    (re.compile(r"FileNotFoundError|No such file or directory"), READS_FILES),
    (
        re.compile(
            r"make_column_selector can only be applied to pandas dataframes|Specifying the columns using "
            r"strings is only supported for (pandas )?dataframes"
        ),
        COLUMNS_LOST,
    ),
)


def installed_libraries(sandbox: Sandbox, timeout: float = 30.0) -> list[str]:
    """Which of :data:`KNOWN_LIBRARIES` the sandbox can import ([] when it cannot tell)."""
    probe = (
        "import importlib.util, json\n"
        f"print(json.dumps([n for n in {list(KNOWN_LIBRARIES)!r} if importlib.util.find_spec(n)]))"
    )
    try:
        result = sandbox.execute(probe, timeout=timeout)
        return list(json.loads(result.stdout.strip().splitlines()[-1])) if result.ok else []
    except Exception:  # optional: the brief then names no libraries
        return []


def api_hint(
    sandbox: Sandbox, script: str, error: str, timeout: float = 30.0, installed: list[str] | None = None
) -> str:
    """One line that names the right API for an API error in ``error`` ("" when there is none);
    ``installed`` (from :func:`installed_libraries`) answers a missing module."""
    for pattern, hint in CONTRACT_SLIPS:  # slips against the build_model() contract itself
        if pattern.search(error):
            return hint
    missing = next((m for m in map(_NO_MODULE.search, reversed(error.strip().splitlines())) if m), None)
    if missing is not None:
        package, _, rest = missing["name"].partition(".")
        if package not in (installed or []):
            return (
                f"`{package}` is not installed here; use what is: {', '.join(installed)}."
                if installed
                else ""
            )
        if rest:  # a module path that moved or never existed (sklearn.externals.joblib): its parent's names
            parent, _, name = missing["name"].rpartition(".")
            return _lookup(sandbox, "missing", parent, name, "", timeout)
        return ""
    parsed = _parse(error)
    if parsed is None:
        return ""
    kind, name, arg = parsed
    return _lookup(sandbox, kind, name, arg, _imports(script) if kind == "kwarg" else "", timeout)


def _lookup(sandbox: Sandbox, kind: str, name: str, arg: str, imports: str, timeout: float) -> str:
    probe = _PROBE.format(imports=imports, kind=kind, name=name, arg=arg)
    try:
        result = sandbox.execute(probe, timeout=timeout)
        found = json.loads(result.stdout.strip().splitlines()[-1]) if result.ok else None
    except Exception:
        return ""
    if not found:
        return ""
    if kind == "kwarg":
        return f"`{name}` has no parameter `{arg}`; it accepts: {', '.join(found)}."
    return f"`{name}` has no `{arg}`; names it does have that look alike: {', '.join(found)}."
