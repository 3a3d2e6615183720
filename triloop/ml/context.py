"""What the agents of an ML run are shown: the task brief, the ideas tried, the API notes, lessons.

Prompt length is cost on a small local model, so each piece is kept short and says only what the
next reply needs.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path

from triloop.ml.experiments import Experiment, chain_end
from triloop.ml.hints import KNOWN_LIBRARIES
from triloop.ml.profile import columns_summary
from triloop.ml.selection import gain, spread
from triloop.ml.task import MLTask


def _score(task: MLTask, e: Experiment, by_id: dict[int, Experiment], start: Experiment) -> str:
    """``0.7205 +- 0.030`` and, for a change, its paired gain over what it changed."""
    if e.metric is None:
        return e.status
    text = f"{e.metric:.4f} +- {spread(e.folds):.4f}"
    parent = by_id.get(start.parent) if start.parent is not None else None
    if parent is not None and parent.folds and len(parent.folds) == len(e.folds):
        text += f" ({gain(task.metric, e.folds, parent.folds).describe()} than #{parent.id})"
    return text


def ideas_table(task: MLTask, experiments: list[Experiment], last: int = 10) -> str:
    """The ideas tried, each with where its chain of fixes ended (the debug steps are folded in, so
    the Reviewer sees more distinct ideas for the same prompt length) and its cross-validated score."""
    by_id = {e.id: e for e in experiments}
    rows = []
    for e in [x for x in experiments if x.action != "debug"][-last:]:
        end, fixes = chain_end(e, experiments)
        score = _score(task, end, by_id, e)
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
    """The goal, the contract, the columns and the libraries: what a script needs to know, kept short
    (prompt length is cost)."""
    return (
        f"Task: {task.goal} Target `{task.target}` ({task.problem}). The script defines build_model(), "
        "which returns an unfitted scikit-learn model (usually a Pipeline) with fit(X, y) and predict(X); "
        f"the harness cross-validates it ({task.folds} folds). X is a pandas DataFrame of the columns as "
        f"in the CSV (text stays text, blanks are NaN). The script reads no files. Seed {task.seed}.\n"
        f"Columns: {columns_summary(root, task)}.\n"
        + (f"Python libraries: {', '.join(libraries)}; not: {absent(libraries)}.\n" if libraries else "")
    )


API_NOTE = "API: "


def stored_notes(lessons: str) -> list[str]:
    """The API notes earlier tasks stored with their lessons."""
    return [line.split(API_NOTE, 1)[1].strip() for line in lessons.splitlines() if API_NOTE in line]


def cited(lesson: str, keys: list[str]) -> str:
    """The key (``L2``) of a lesson the reply names, if it was among those given, else "": small
    models fill the field with advice of their own ("always try different hyperparameters")."""
    said = lesson.strip().upper()
    return next((k for k in keys if said == k or said.startswith(f"{k}:") or said.startswith(f"{k} ")), "")
