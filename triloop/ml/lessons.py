"""Lessons an ML run leaves for later tasks, and how a later task finds and uses them.

A lesson says what a later task can act on: on data of this shape, which drafts (other model
families) and which changes beat what they changed on the cross-validation folds by more than noise
(and by how much, and to which model family a change was made), which did not, and which API slips
the sandbox caught. It is stored with the task's data profile, and recalled by profile similarity,
not only by text: a class-weight lesson from an imbalanced table is offered to another imbalanced
table. A recalled lesson's winning drafts and changes are tried first in the next run
(:mod:`triloop.ml.loop`), so whether they carry over is measured, not hoped for.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from triloop.ml.drafts import DRAFTS
from triloop.ml.experiments import Experiment, outcome
from triloop.ml.profile import DataProfile
from triloop.ml.selection import Gain
from triloop.ml.task import MLTask

MIN_SIMILARITY = 0.6
RECALL = 3
LESSON_CHARS = 700


#: The model family of the baseline and of every change made to it (a draft starts another family).
BASELINE_FAMILY = "default gradient boosting"
#: How a lesson's winning idea names the family it changed: ``linear model on one-hot codes > C=0.1``.
ON = " > "


class Finding(NamedTuple):
    """One idea of a run, the model family it changed, and what it did to the experiment it changed."""

    idea: str
    gain: Gain
    family: str = BASELINE_FAMILY

    def carried(self) -> str:
        """How a later task reads it: a draft by its name, a change with the family it changed."""
        return self.idea if self.family == self.idea else f"{self.family}{ON}{self.idea}"


def family_of(e: Experiment, experiments: list[Experiment]) -> str:
    """The model family ``e`` belongs to: the nearest draft it descends from (itself included), else the
    baseline's."""
    by_id = {x.id: x for x in experiments}
    at: Experiment | None = e
    while at is not None:
        if at.action == "draft":
            return at.idea
        at = by_id.get(at.parent) if at.parent is not None else None
    return BASELINE_FAMILY


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
            found.append(Finding(start.idea, change, family_of(start, experiments)))
    return sorted(found, key=lambda f: f.gain.mean, reverse=True)


def lesson_of(task: MLTask, profile: DataProfile, experiments: list[Experiment], notes: list[str]) -> str:
    """The lesson in a few lines: the data's shape, what beat the baseline, what did not, API slips."""
    base = next((e for e in experiments if e.action == "baseline" and e.metric is not None), None)
    head = f"{task.name} ({profile.describe()}), {task.metric}"
    if base is None:
        return f"{head}: the default gradient-boosting baseline failed"
    found = findings(task, experiments)
    worked = [f"'{f.carried()}' ({f.gain.describe()})" for f in found if f.gain.real]
    flat = [f"'{f.idea}' ({f.gain.mean:+.4f})" for f in found if not f.gain.real]
    lines = [f"{head}: default gradient boosting {base.metric:.4f}."]
    lines.append(f"Worked: {'; '.join(worked)}." if worked else "Nothing beat it by more than noise.")
    if flat:
        lines.append(f"No gain: {'; '.join(flat[:4])}.")
    lines += [f"API: {n}" for n in notes[:2]]
    return "\n".join(lines)[:LESSON_CHARS]


def worked_ideas(task: MLTask, experiments: list[Experiment]) -> list[str]:
    """What beat what it changed by more than noise, as a later task reads it (:meth:`Finding.carried`)."""
    return [f.carried() for f in findings(task, experiments) if f.gain.real]


def split_carried(worked: str) -> tuple[str | None, str]:
    """``family > idea`` -> (family, idea); a draft's name, or an idea of an older lesson that names no
    family (which may hold a " > " of its own: "drop rows where income > 1e6"), -> (None, worked)."""
    family, on, idea = worked.partition(ON)
    return (family, idea) if on and (family == BASELINE_FAMILY or family in DRAFTS) else (None, worked)


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
