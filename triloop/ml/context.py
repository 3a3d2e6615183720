"""What the agents of an ML run are shown: the task brief, the ideas tried, the API notes, lessons.

Prompt length is cost on a small local model, so each piece is kept short and says only what the
next reply needs.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from triloop.ml.experiments import Experiment, chain_end, outcome
from triloop.ml.hints import KNOWN_LIBRARIES
from triloop.ml.selection import spread
from triloop.ml.task import MLTask


def _score(task: MLTask, start: Experiment, experiments: list[Experiment]) -> str:
    """``0.7205 +- 0.030`` where ``start``'s chain of fixes ended and, for a change, its paired gain
    over what it changed."""
    end, change = outcome(task, start, experiments)
    if end.metric is None:
        return end.status
    text = f"{end.metric:.4f} +- {spread(end.folds):.4f}"
    return text + (f" ({change.describe()} than #{start.parent})" if change is not None else "")


def ideas_table(task: MLTask, experiments: list[Experiment], last: int = 10) -> str:
    """The ideas tried, each with where its chain of fixes ended (the debug steps are folded in, so
    the Reviewer sees more distinct ideas for the same prompt length) and its cross-validated score."""
    rows = []
    for e in [x for x in experiments if x.action != "debug"][-last:]:
        end, fixes = chain_end(e, experiments)
        score = _score(task, e, experiments)
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
        if (
            e.action in ("draft", "improve")
            and SequenceMatcher(None, words, e.idea.lower().strip(" .")).ratio() >= 0.8
        ):
            return e.idea
    return None


def absent(libraries: list[str]) -> str:
    return ", ".join(n for n in KNOWN_LIBRARIES if n not in libraries) or "-"


def task_brief(task: MLTask, shape: str, columns: str, libraries: list[str]) -> str:
    """The goal, the contract, the data's shape (``shape``: its profile; an imbalance the metric
    punishes is named there), the columns and the libraries: what a script needs to know, kept short
    (prompt length is cost)."""
    return (
        f"Task: {task.goal} Target `{task.target}` ({task.problem}). The script defines build_model(), "
        "which returns an unfitted scikit-learn model (usually a Pipeline) with fit(X, y) and predict(X); "
        f"the harness cross-validates it ({task.folds} folds). X is a pandas DataFrame of the columns as "
        f"in the CSV (text stays text, blanks are NaN). The script reads no files. Seed {task.seed}.\n"
        f"Data: {shape}. Columns: {columns}.\n"
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
