"""What the agents of an ML run are shown: the task brief, the ideas tried, the API notes, lessons.

Prompt length is cost on a small local model, so each piece is kept short and says only what the
next reply needs.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path

from triloop.ml.experiments import Experiment
from triloop.ml.hints import KNOWN_LIBRARIES
from triloop.ml.task import MLTask, data_path


def ideas_table(experiments: list[Experiment], last: int = 10) -> str:
    """The ideas tried, each with where its chain of fixes ended (the debug steps are folded in, so
    the Reviewer sees more distinct ideas for the same prompt length)."""
    by_parent = {e.parent: e for e in experiments if e.action == "debug"}
    rows = []
    for e in [x for x in experiments if x.action != "debug"][-last:]:
        end, fixes = e, 0
        while end.id in by_parent:
            end, fixes = by_parent[end.id], fixes + 1
        score = f"{end.metric:.4f}" if end.metric is not None else end.status
        train = f", train {end.train_metric:.4f}" if end.train_metric is not None else ""
        fixed = f" after {fixes} fix{'es' if fixes > 1 else ''} (#{end.id})" if fixes else ""
        parent = f" of #{e.parent}" if e.parent is not None else ""
        rows.append(
            f"- #{e.id} ({e.action}{parent}): {e.idea} -> {score}{train}{fixed}, {end.duration_s:.0f} s"
        )
    return "\n".join(rows)


def repeats(idea: str, experiments: list[Experiment]) -> str | None:
    """The earlier idea that ``idea`` repeats nearly word for word, if any."""
    words = idea.lower().strip(" .")
    for e in experiments:
        if e.action == "improve" and SequenceMatcher(None, words, e.idea.lower().strip(" .")).ratio() >= 0.8:
            return e.idea
    return None


def absent(libraries: list[str]) -> str:
    return ", ".join(n for n in KNOWN_LIBRARIES if n not in libraries) or "-"


def task_brief(root: Path, task: MLTask, libraries: list[str]) -> str:
    """The goal, the columns and the libraries: what a script needs to know, kept short (prompt length
    is cost)."""
    with data_path(root, "train").open(encoding="utf-8") as fh:
        header = fh.readline().strip()
    columns = header if len(header) < 400 else header[:400] + "..."
    return (
        f"Task: {task.goal} Target column `{task.target}` ({task.problem}). Columns of data/train.csv: "
        f"{columns}. Train on data/train.csv only; seed {task.seed}."
        + (f" Python libraries: {', '.join(libraries)}; not: {absent(libraries)}.\n" if libraries else "\n")
    )


API_NOTE = "API (checked in the sandbox): "


def stored_notes(lessons: str) -> list[str]:
    """The API notes earlier tasks stored with their lessons."""
    return [line.split(API_NOTE, 1)[1].strip() for line in lessons.splitlines() if API_NOTE in line]


def cited(lesson: str, lessons: str) -> str:
    """``lesson`` if it quotes (or nearly quotes) a line of the stored ``lessons``, else "": small
    models fill the field with advice of their own ("always try different hyperparameters")."""
    said = lesson.strip().lower()
    if len(said) < 12:
        return ""
    for line in lessons.lower().splitlines():
        if said in line or SequenceMatcher(None, said, line[: len(said) + 40]).ratio() >= 0.6:
            return lesson.strip()
    return ""
