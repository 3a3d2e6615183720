"""The registered task kinds: which kinds the solve graph can run, and which one claims a task.

The graph gets a :class:`KindRegistry` injected like its LLM, tools and memory, and never imports a
kind itself. Adding a kind means writing its folder and adding one line to :func:`default_kinds`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from triloop.errors import TriloopError
from triloop.kinds.base import Kind
from triloop.kinds.names import canonical_kind
from triloop.tools.base import Tool


class UnknownKindError(TriloopError):
    """A task names a kind no registered kind implements (e.g. ``ml``, which ``triloop ml`` runs)."""

    exit_code = 2


class KindRegistry:
    """Kinds by name, in claim order: the first kind that claims a task gets it."""

    def __init__(self, kinds: Sequence[Kind]) -> None:
        self._kinds = {kind.name: kind for kind in kinds}

    @property
    def names(self) -> list[str]:
        return list(self._kinds)

    def get(self, name: str) -> Kind:
        """The kind called ``name`` (older names such as ``math`` read as ``general``)."""
        try:
            key = canonical_kind(name)
        except ValueError as exc:
            raise UnknownKindError(str(exc)) from None
        if key not in self._kinds:
            hint = " (ML experiments run with `triloop ml`)" if key == "ml" else ""
            raise UnknownKindError(
                f"no task kind {key!r} in this graph{hint}; it runs {', '.join(self._kinds)}"
            )
        return self._kinds[key]

    def claim(self, run: Mapping[str, Any]) -> str | None:
        """The first kind that claims ``run`` by its shape (a stub, a signature, tests), if any."""
        return next((kind.name for kind in self._kinds.values() if kind.claims(run)), None)


def default_kinds(tools: Mapping[str, Tool]) -> KindRegistry:
    """The kinds triloop ships: coding (code delivered) and general (an answer). One line per kind."""
    from triloop.kinds.coding.kind import CodingKind
    from triloop.kinds.general.kind import GeneralKind

    return KindRegistry([CodingKind(tools), GeneralKind(tools)])
