"""Nearest-neighbour search over Chroma collections: filtered queries, merged, diversified by MMR."""

from __future__ import annotations

from typing import Any

import numpy as np
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from triloop.memory.errors import InvalidQueryError
from triloop.memory.mmr import mmr_select
from triloop.memory.where import matches as where_matches


def _not_flushed_yet(exc: BaseException) -> bool:
    """A chroma server queried right after another process created or filled the collection, before its
    vector index reached disk (chroma-core/chroma#4212): transient, it clears within moments."""
    return "Nothing found on disk" in str(exc)


@retry(
    retry=retry_if_exception(_not_flushed_yet),
    stop=stop_after_attempt(6),
    wait=wait_exponential(multiplier=0.05, max=1.0),
    reraise=True,
)
def query(collection: Any, **kwargs: Any) -> Any:
    """``collection.query``, retried (bounded) while a fresh collection's index is not on disk yet."""
    return collection.query(**kwargs)


def nearest(
    collections: list[Any],
    vector: np.ndarray,
    k: int,
    *,
    where: dict | None,
    mmr_lambda: float | None,
    fetch_factor: int,
    overfetch: int,
) -> list[tuple[str, str, float]]:
    """The top ``k`` ``(id, document, similarity)`` across ``collections``; with ``mmr_lambda``, from
    ``k * fetch_factor`` candidates diversified by MMR, else the ``k`` most similar."""
    mmr = mmr_lambda is not None
    fetch = k * fetch_factor if mmr else k
    ids: list[str] = []
    docs: list[str] = []
    dists: list[float] = []
    vecs: list[np.ndarray] = []
    for collection in collections:
        got = query_collection(collection, vector, fetch, where, mmr, overfetch)
        ids += got["ids"]
        docs += got["documents"]
        dists += got["distances"]
        if mmr:
            vecs += got["embeddings"]
    if not ids:
        return []
    if mmr_lambda is not None:
        order = mmr_select(vector, np.asarray(vecs, dtype=np.float32), k, mmr_lambda)
    else:
        order = list(np.argsort(dists)[:k])
    return [(ids[i], docs[i], 1.0 - dists[i]) for i in order]


def query_collection(
    collection: Any, vector: np.ndarray, fetch: int, where: dict | None, mmr: bool, overfetch: int
) -> dict[str, list]:
    """Nearest ``fetch`` records, filtered. A filter is first applied in Python to an over-fetched
    plain query (fast); Chroma's own metadata filter (slow at scale) only runs if too few matched."""
    include = ["documents", "distances", "metadatas"] + (["embeddings"] if mmr else [])
    if where is None:
        return _flat(query(collection, query_embeddings=vector[None, :], n_results=fetch, include=include))
    over = fetch * overfetch
    got = _flat(query(collection, query_embeddings=vector[None, :], n_results=over, include=include))
    keep = [i for i, meta in enumerate(got["metadatas"]) if where_matches(where, meta or {})]
    if len(keep) >= fetch or len(got["ids"]) < over:  # enough matches, or the whole collection was seen
        return {key: [values[i] for i in keep[:fetch]] for key, values in got.items()}
    try:
        return _flat(
            query(collection, query_embeddings=vector[None, :], n_results=fetch, where=where, include=include)
        )
    except ValueError as exc:
        raise InvalidQueryError(f"bad filter {where!r}: {exc}") from exc


def _flat(got: Any) -> dict[str, list]:
    return {
        key: list(got[key][0])
        for key in ("ids", "documents", "distances", "metadatas", "embeddings")
        if got.get(key) is not None
    }
