"""One filtered nearest-neighbour query against one Chroma collection, flattened to plain lists."""

from __future__ import annotations

from typing import Any

import numpy as np

from triloop.memory.errors import InvalidQueryError
from triloop.memory.where import matches as where_matches


def query_collection(
    collection: Any, vector: np.ndarray, fetch: int, where: dict | None, mmr: bool, overfetch: int
) -> dict[str, list]:
    """Nearest ``fetch`` records, filtered. A filter is first applied in Python to an over-fetched
    plain query (fast); Chroma's own metadata filter (slow at scale) only runs if too few matched."""
    include = ["documents", "distances", "metadatas"] + (["embeddings"] if mmr else [])
    if where is None:
        return _flat(collection.query(query_embeddings=vector[None, :], n_results=fetch, include=include))
    over = fetch * overfetch
    got = _flat(collection.query(query_embeddings=vector[None, :], n_results=over, include=include))
    keep = [i for i, meta in enumerate(got["metadatas"]) if where_matches(where, meta or {})]
    if len(keep) >= fetch or len(got["ids"]) < over:  # enough matches, or the whole collection was seen
        return {key: [values[i] for i in keep[:fetch]] for key, values in got.items()}
    try:
        return _flat(
            collection.query(query_embeddings=vector[None, :], n_results=fetch, where=where, include=include)
        )
    except ValueError as exc:
        raise InvalidQueryError(f"bad filter {where!r}: {exc}") from exc


def _flat(got: Any) -> dict[str, list]:
    return {
        key: list(got[key][0])
        for key in ("ids", "documents", "distances", "metadatas", "embeddings")
        if got.get(key) is not None
    }
