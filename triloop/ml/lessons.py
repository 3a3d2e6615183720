"""Lessons an ML run leaves for later tasks, and how a later task finds and uses them.

A lesson says what a later task can act on: on data of this shape, which changes to default gradient
boosting beat it on the cross-validation folds by more than noise (and by how much), which did not,
and which API slips the sandbox caught. It is stored with the task's data profile, and recalled by
profile similarity, not only by text: a class-weight lesson from an imbalanced table is offered to
another imbalanced table. A recalled lesson's winning ideas are tried first in the next run
(:mod:`triloop.ml.loop`), so whether they carry over is measured, not hoped for.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from triloop.ml.experiments import Experiment, outcome
from triloop.ml.profile import DataProfile
from triloop.ml.selection import Gain
from triloop.ml.task import MLTask

MIN_SIMILARITY = 0.6
RECALL = 3
LESSON_CHARS = 700


class Finding(NamedTuple):
    """One idea of a run and what it did to the experiment it changed."""

    idea: str
    gain: Gain


class Recalled(BaseModel):
    """A stored lesson offered to this run."""

    key: str  # "L1": how prompts, the log and the report name it
    task: str
    similarity: float
    lesson: str
    worked: list[str] = []  # its ideas that beat what they changed by more than noise

    def render(self) -> str:
        return f"{self.key} (from {self.task}, similarity {self.similarity:.2f}): {self.lesson}"


def findings(task: MLTask, experiments: list[Experiment]) -> list[Finding]:
    """Each improvement's gain over the experiment it changed (its chain of fixes followed to the end),
    best first."""
    found = []
    for start in experiments:
        _, change = outcome(task, start, experiments)
        if start.action in ("draft", "improve") and change is not None:
            found.append(Finding(start.idea, change))
    return sorted(found, key=lambda f: f.gain.mean, reverse=True)


def lesson_of(task: MLTask, profile: DataProfile, experiments: list[Experiment], notes: list[str]) -> str:
    """The lesson in a few lines: the data's shape, what beat the baseline, what did not, API slips."""
    base = next((e for e in experiments if e.action == "baseline" and e.metric is not None), None)
    head = f"{task.name} ({profile.describe()}), {task.metric}"
    if base is None:
        return f"{head}: the default gradient-boosting baseline failed"
    found = findings(task, experiments)
    worked = [f"'{f.idea}' ({f.gain.describe()})" for f in found if f.gain.real]
    flat = [f"'{f.idea}' ({f.gain.mean:+.4f})" for f in found if not f.gain.real]
    lines = [f"{head}: default gradient boosting {base.metric:.4f}."]
    lines.append(f"Worked: {'; '.join(worked)}." if worked else "Nothing beat it by more than noise.")
    if flat:
        lines.append(f"No gain: {'; '.join(flat[:4])}.")
    lines += [f"API: {n}" for n in notes[:2]]
    return "\n".join(lines)[:LESSON_CHARS]


def worked_ideas(task: MLTask, experiments: list[Experiment]) -> list[str]:
    return [f.idea for f in findings(task, experiments) if f.gain.real]


def recall(memory: Any, profile: DataProfile, goal: str) -> list[Recalled]:
    """The stored ML lessons nearest this task's data profile (at most ``RECALL``, each at least
    ``MIN_SIMILARITY`` alike), numbered L1, L2, ... ; [] without a memory that can list experiences."""
    search = getattr(memory, "experiences", None)
    if search is None:
        return []
    ranked = []
    for record in search(f"ML task ({profile.describe()}): {goal}", "ml"):
        try:
            theirs = DataProfile.model_validate(record.profile)
        except ValidationError:
            continue  # a lesson stored without a profile (older triloop) cannot be matched by shape
        similarity = profile.similarity(theirs)
        if similarity >= MIN_SIMILARITY and record.lesson:
            ranked.append((similarity, theirs.name or record.task[:60], record))
    ranked.sort(key=lambda r: r[0], reverse=True)
    return [
        Recalled(
            key=f"L{i}",
            task=name,
            similarity=round(similarity, 2),
            lesson=record.lesson,
            worked=[line for line in record.answer_summary.splitlines() if line.strip()],
        )
        for i, (similarity, name, record) in enumerate(ranked[:RECALL], start=1)
    ]
