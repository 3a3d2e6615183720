"""The general kind (math, open questions): steps, tool calls, recomputation, step scores."""

from triloop.kinds.general.kind import GeneralKind

__all__ = ["GeneralKind"]
