"""Evaluate a Chroma ``where`` filter in Python, for post-filtering an over-fetched nearest-neighbour list.

Why: Chroma's metadata filter first collects every matching id from SQLite, which costs tens to hundreds
of milliseconds at 100k records. Fetching a few times more neighbours than needed and filtering them
here gives the same answer whenever enough of them match (the nearest matching records are then among
the nearest records overall), at the cost of a plain query. The store falls back to Chroma's filter
when too few match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triloop.memory.errors import InvalidQueryError

_COMPARE = {
    "$eq": lambda a, b: a == b,
    "$ne": lambda a, b: a != b,
    "$gt": lambda a, b: a is not None and a > b,
    "$gte": lambda a, b: a is not None and a >= b,
    "$lt": lambda a, b: a is not None and a < b,
    "$lte": lambda a, b: a is not None and a <= b,
    "$in": lambda a, b: a in b,
    "$nin": lambda a, b: a not in b,
}


def validate(where: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidQueryError` for operators this module (and Chroma) do not know."""
    matches(where, {})


def matches(where: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    """True if ``metadata`` satisfies ``where`` (Chroma semantics: a missing field never matches)."""
    if not isinstance(where, Mapping) or not where:
        raise InvalidQueryError(f"a filter must be a non-empty dict, got {where!r}")
    results = []
    for key, cond in where.items():
        if key in ("$and", "$or"):
            if not isinstance(cond, list) or not cond:
                raise InvalidQueryError(f"{key} takes a non-empty list of filters")
            parts = [matches(c, metadata) for c in cond]
            results.append(all(parts) if key == "$and" else any(parts))
            continue
        if key.startswith("$"):
            raise InvalidQueryError(f"unknown filter operator {key!r}")
        value = metadata.get(key)
        ops = cond if isinstance(cond, Mapping) else {"$eq": cond}
        for op, operand in ops.items():
            if op not in _COMPARE:
                raise InvalidQueryError(f"unknown filter operator {op!r} on {key!r}")
            if op in ("$in", "$nin") and not isinstance(operand, list):
                raise InvalidQueryError(f"{op} on {key!r} takes a list")
            try:
                results.append(key in metadata and bool(_COMPARE[op](value, operand)))
            except TypeError as exc:
                raise InvalidQueryError(f"cannot compare {key!r} with {operand!r}: {exc}") from None
    return all(results)
