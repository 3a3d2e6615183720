"""The static leak check: a script that names the hidden test labels is refused before it runs.

Everything else is closed by construction: the script gets rows only through ``fit(X, y)``, fold by
fold, in a process that holds no held-out label (:mod:`triloop.ml.driver`), and the test labels never
enter the sandbox. This check only says early, and clearly, what the script tried.
"""

from __future__ import annotations

import re

from triloop.ml.task import HIDDEN

_HIDDEN_LABELS = re.compile(re.escape(HIDDEN) + r"|test_labels")


def leak_of(script: str) -> str | None:
    """Why ``script`` leaks (it would score on what it must not see), or None."""
    if _HIDDEN_LABELS.search(script):
        return "reads the hidden test labels"
    return None
