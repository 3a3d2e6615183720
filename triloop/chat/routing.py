"""Which chat messages need the agent team, and which one plain answer serves.

The same decision as the solve graph's intake (:mod:`triloop.kinds.decide`), without its model call (a
prefill on every message costs seconds on 2 cores): a request for code, or a question whose answer can be
computed and checked (it has numbers or asks for a quantity), goes to the team; a greeting, thanks, an
explanation or a question about words gets one answer. A message whose wording leaves it open goes to the
team, whose intake asks the model. ``/solve`` and ``/ask`` in chat, or the model name
``triloop:<strategy>`` / ``triloop:direct`` in the API, override it.
"""

from __future__ import annotations

from typing import Literal

from triloop.kinds.decide import by_wording
from triloop.kinds.general.kind import is_quantitative

Route = Literal["direct", "work"]


def route(message: str) -> Route:
    """``work`` for code and for answers the team can compute and check; ``direct`` otherwise."""
    decision = by_wording(message)
    if decision is None or decision.kind == "coding":
        return "work"
    return "work" if is_quantitative(message) else "direct"
