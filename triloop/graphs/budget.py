"""Budgets per run: the live meters of runs in flight, what a "continue" grants, the round check."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from langgraph.config import get_config

from triloop.agents.meter import CallMeter
from triloop.graphs.state import Budgets, SolveConfig

#: Meters kept for runs in flight; the oldest are dropped beyond this (abandoned runs must not pile up).
MAX_METERS = 256


def wall_start(state: Mapping[str, Any]) -> float:
    """Where the wall-time budget counts from: the run's start, or the last "continue" after a pause."""
    return state.get("wall_from") or state.get("started_at") or time.time()


class Meters:
    """The live budget meter of each run in flight, keyed by LangGraph thread and run id, so runs that
    share one graph never share a meter."""

    def __init__(self) -> None:
        self._meters: dict[str, CallMeter] = {}
        self._lock = threading.Lock()

    def of(self, state: Mapping[str, Any], config: SolveConfig, fresh: bool = False) -> CallMeter:
        """The run's meter, synced with the totals and (extended) limits in ``state``; ``fresh`` (at
        intake) starts a new one, whatever a crashed earlier run with the same id left behind."""
        key = self._key(state)
        with self._lock:
            if fresh or key not in self._meters:
                self._meters.pop(key, None)
                self._meters[key] = CallMeter()
                while len(self._meters) > MAX_METERS:
                    self._meters.pop(next(iter(self._meters)))
            meter = self._meters[key]
        limits = extended_budgets(config.budgets, state.get("budget_extensions", 0))
        usage = state.get("usage", {})
        return meter.sync(
            calls=usage.get("llm_calls", 0),
            tokens=usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0),
            max_calls=limits.max_llm_calls,
            max_tokens=limits.max_tokens,
            deadline=wall_start(state) + limits.max_wall_s,
        )

    def drop(self, state: Mapping[str, Any]) -> None:
        """Forget a finished run's meter."""
        with self._lock:
            self._meters.pop(self._key(state), None)

    @staticmethod
    def _key(state: Mapping[str, Any]) -> str:
        thread = (get_config().get("configurable") or {}).get("thread_id", "")
        return f"{thread}|{state.get('run_id', '')}"


def extended_budgets(budgets: Budgets, extensions: int) -> Budgets:
    """Each "continue" after a budget interrupt grants the run its original budget once more.

    Calls, tokens and rounds add up; the wall-time budget instead restarts at the "continue" (the
    state's ``wall_from``), so a long pause before answering does not eat the granted time.
    """
    factor = 1 + extensions
    return budgets.model_copy(
        update={
            "max_llm_calls": budgets.max_llm_calls * factor,
            "max_tokens": budgets.max_tokens * factor,
            "max_rounds": max(budgets.max_rounds, 1) * factor if extensions else budgets.max_rounds,
        }
    )


def rounds_spent(rounds: int, budgets: Budgets) -> str:
    """Why no further refinement round may start ('' if one may). Calls, tokens and wall time are the
    live meter's (:class:`~triloop.agents.meter.CallMeter`), which books them before every call."""
    if rounds >= budgets.max_rounds:
        return f"refinement rounds {rounds} >= {budgets.max_rounds}"
    return ""
