"""Which chat messages need the agent team, and which one plain answer serves.

A model call to decide would cost a prefill on every message (seconds on 2 cores), so the router is a
rule: code, a request to build or fix something, or arithmetic go to the solve graph; greetings,
thanks and questions about words get one call. ``/solve`` and ``/ask`` in chat, or the model name
``triloop:<strategy>`` / ``triloop:direct`` in the API, override it.
"""

from __future__ import annotations

import re
from typing import Literal

Route = Literal["direct", "work"]

_WORK = re.compile(
    r"```|\bdef\s+\w+\s*\(|"  # code
    r"\b(write|implement|code|function|script|program|compute|calculate|solve|fix|debug|refactor|"
    r"test|prove|algorithm|sort|parse|regex|how many|how much|sum of|product of)\b|"
    r"\d\s*[-+*/^%×]\s*\d",  # arithmetic
    re.IGNORECASE,
)


def route(message: str) -> Route:
    """``work`` when the message asks for code, a computation or a fix; ``direct`` otherwise."""
    return "work" if _WORK.search(message) else "direct"
