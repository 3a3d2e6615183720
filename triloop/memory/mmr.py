"""Maximal marginal relevance: pick results that are relevant to the query but not to each other.

Without it, the top-k of a memory full of near-identical experiences is k copies of one lesson.
"""

from __future__ import annotations

import numpy as np


def mmr_select(query: np.ndarray, candidates: np.ndarray, k: int, lam: float) -> list[int]:
    """Indices of ``k`` candidates chosen greedily by ``lam * sim(q, c) - (1 - lam) * max sim(c, chosen)``.

    Vectors are assumed unit length (cosine = dot product). ``lam = 1`` gives plain top-k order.
    """
    n = candidates.shape[0]
    if n == 0 or k <= 0:
        return []
    relevance = candidates @ query
    chosen: list[int] = [int(np.argmax(relevance))]
    max_sim_to_chosen = candidates @ candidates[chosen[0]]
    while len(chosen) < min(k, n):
        score = lam * relevance - (1.0 - lam) * max_sim_to_chosen
        score[chosen] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        max_sim_to_chosen = np.maximum(max_sim_to_chosen, candidates @ candidates[best])
    return chosen
