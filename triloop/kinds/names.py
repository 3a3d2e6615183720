"""The one vocabulary of task kinds, shared by the graph, the agents, the memory and chat.

``coding``: the person wants code delivered (a function, a script, a fix). ``general``: they want an
answer (a number, a date, a word, a text), whatever tools it takes to find it. ``ml``: an ML experiment
task (``triloop ml``). Older names (``math``, ``open`` from the intake prompt, ``qa`` and ``chat`` from
memory records) are read as ``general`` so stored runs and memories stay readable.
"""

from __future__ import annotations

from typing import Literal

TaskKind = Literal["coding", "general", "ml"]
TASK_KINDS: tuple[TaskKind, ...] = ("coding", "general", "ml")
LEGACY_KINDS: dict[str, TaskKind] = {"math": "general", "open": "general", "qa": "general", "chat": "general"}


def canonical_kind(name: str) -> TaskKind:
    """``name`` in the current vocabulary; raises ``ValueError`` for a name that is no kind at all."""
    key = name.strip().lower()
    if key in TASK_KINDS:
        return key  # type: ignore[return-value]
    if key in LEGACY_KINDS:
        return LEGACY_KINDS[key]
    raise ValueError(f"unknown task kind {name!r}; choose one of {', '.join(TASK_KINDS)}")


def current_name(name: str) -> str:
    """``name`` with an older kind name replaced by today's (``qa`` -> ``general``); anything else as it
    is, for the caller to validate (memory searches also take collection names such as ``toolset``)."""
    return LEGACY_KINDS.get(name, name)
