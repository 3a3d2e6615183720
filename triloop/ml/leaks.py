"""Static leak checks: a script that visibly reads the hidden labels or fits on held-out rows is
refused before it runs. The audit (:func:`triloop.ml.harness.audit`) catches what no static check can
see, by rerunning a would-be best on shuffled validation labels.
"""

from __future__ import annotations

import ast
import re

from triloop.ml.task import HIDDEN

_HIDDEN_LABELS = re.compile(re.escape(HIDDEN) + r"|test_labels")
_HELD_OUT = re.compile(r"valid|test", re.IGNORECASE)
_FITS = {"fit", "fit_transform", "fit_predict", "partial_fit"}


def leak_of(script: str) -> str | None:
    """Why ``script`` leaks (it would score on what it must not see), or None."""
    if _HIDDEN_LABELS.search(script):
        return "reads the hidden test labels"
    if _fits_on_held_out(script):
        return "fits on validation or test rows"
    return None


def _fits_on_held_out(script: str) -> bool:
    """Whether a ``fit`` call is given validation or test data: a name, attribute or string among
    its arguments that says valid/test (``fit(np.vstack([x_train, x_valid]))``). Keyword *names* do
    not count: ``validation_fraction=0.2`` splits the training rows."""
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return bool(re.search(r"\.fit\([^)]*(valid|test)", script, re.IGNORECASE))
    for call in ast.walk(tree):
        if not (
            isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in _FITS
        ):
            continue
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if any(_HELD_OUT.search(_word(node)) for node in ast.walk(arg)):
                return True
    return False


def _word(node: ast.AST) -> str:
    """The name, attribute or string a node spells ("" for others)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ""
