"""The experiment log: one :class:`Experiment` per line of ``experiments.jsonl``, and which is best."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from triloop.ml.selection import Gain, gain
from triloop.ml.task import MLTask

LOG = "experiments.jsonl"


class Experiment(BaseModel):
    """One line of ``experiments.jsonl``."""

    id: int
    parent: int | None
    action: Literal["baseline", "draft", "improve", "debug"]
    idea: str
    why: str = ""
    lesson: str = ""  # the stored lesson the Reviewer says this idea follows (memory on)
    code_path: str
    status: str
    metric: float | None = None  # cross-validated: the mean over the folds
    folds: list[float] = []  # the metric of each fold
    train_metric: float | None = None
    duration_s: float = 0.0
    detail: str = ""
    output: str = ""  # the tail of what it printed (stdout, then stderr)
    tokens: int = 0


def read_log(root: Path) -> list[Experiment]:
    path = root / LOG
    if not path.is_file():
        return []
    return [
        Experiment.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line
    ]


def chain_of(e: Experiment, experiments: list[Experiment]) -> list[Experiment]:
    """``e`` and the experiments its chain of fixes goes back through, to the one it started from."""
    by_id, chain = {x.id: x for x in experiments}, [e]
    while chain[-1].action == "debug" and chain[-1].parent in by_id:
        chain.append(by_id[chain[-1].parent])  # type: ignore[index]
    return chain


def chain_end(e: Experiment, experiments: list[Experiment]) -> tuple[Experiment, int]:
    """Where ``e``'s chain of fixes ended (itself when nothing fixed it, else its last fix), and how
    many fixes that took."""
    fixes = {x.parent: x for x in experiments if x.action == "debug"}
    end, count = e, 0
    while end.id in fixes:
        end, count = fixes[end.id], count + 1
    return end, count


def promotes(task: MLTask, folds: list[float], best: Experiment | None) -> bool:
    """Whether fold scores ``folds`` take the best's place: they beat it on the paired folds by more
    than noise."""
    if not folds:
        return False
    return best is None or gain(task.metric, folds, best.folds).real


def best_so_far(task: MLTask, experiments: list[Experiment]) -> list[Experiment | None]:
    """The best after each experiment: each scored one, in the order they ran, replaces the best so
    far only when it beats it by more than the folds' noise."""
    best, line = None, []
    for e in experiments:
        if e.status == "ok" and promotes(task, e.folds, best):
            best = e
        line.append(best)
    return line


def best_of(task: MLTask, experiments: list[Experiment]) -> Experiment | None:
    """The best experiment (see :func:`best_so_far`)."""
    line = best_so_far(task, experiments)
    return line[-1] if line else None


def outcome(task: MLTask, start: Experiment, experiments: list[Experiment]) -> tuple[Experiment, Gain | None]:
    """Where ``start``'s chain of fixes ended, and that end's paired gain over the experiment ``start``
    changed (None for the baseline, a failed end, or a parent without fold scores)."""
    end, _ = chain_end(start, experiments)
    parent = (
        next((x for x in experiments if x.id == start.parent), None) if start.parent is not None else None
    )
    if end.status != "ok" or parent is None or not parent.folds or len(parent.folds) != len(end.folds):
        return end, None
    return end, gain(task.metric, end.folds, parent.folds)
