"""What an ML run leaves in its task directory: ``best.py``, ``report.md`` and ``metric.png``.

Experiments are compared by cross-validation only. The test split is scored once, for the best
experiment only (refit on all training rows), from its predictions and the hidden labels: choosing
among experiments by their test score would leak the test set into the choice.
"""

from __future__ import annotations

from pathlib import Path

from triloop.ml.experiments import Experiment, best_of, best_so_far, outcome
from triloop.ml.harness import PREDICTIONS, score_predictions
from triloop.ml.lessons import Recalled
from triloop.ml.selection import gain, spread
from triloop.ml.task import MLTask


def _tree(experiments: list[Experiment]) -> list[str]:
    children: dict[int | None, list[Experiment]] = {}
    for e in experiments:
        children.setdefault(e.parent, []).append(e)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for e in children.get(parent, []):
            score = f"{e.metric:.4f}" if e.metric is not None else e.status
            lines.append(f"{'  ' * depth}- #{e.id} {e.action}: {e.idea} -> {score}")
            walk(e.id, depth + 1)

    walk(None, 0)
    return lines


def plot(task: MLTask, experiments: list[Experiment], path: Path) -> None:
    """The cross-validated metric per experiment (with its fold spread) and the best-so-far line."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    scored = [e for e in experiments if e.metric is not None]
    line = [b.metric if b is not None else None for b in best_so_far(task, experiments)]
    ax.errorbar(
        [e.id for e in scored],
        [e.metric for e in scored],
        yerr=[spread(e.folds) for e in scored],
        fmt="o",
        label="experiment (+- fold spread)",
    )
    ax.step([e.id for e in experiments], line, where="post", label="best so far")
    ax.set_xlabel("experiment")
    ax.set_ylabel(f"cross-validated {task.metric}")
    ax.set_title(f"{task.name}: {task.metric} ({task.direction})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _lessons_section(task: MLTask, experiments: list[Experiment], recalled: list[Recalled]) -> list[str]:
    """The lessons memory gave this run, and what each idea that followed one did."""
    lines = ["## Lessons from memory", ""]
    if not recalled:
        return [*lines, "(none: memory off, empty, or nothing stored for data of this shape)", ""]
    lines += [f"- {r.render()}".replace("\n", " ") for r in recalled] + [""]
    used = [e for e in experiments if e.lesson]
    if not used:
        return [*lines, "No experiment followed them.", ""]
    lines += ["Experiments that followed them:", ""]
    for e in used:
        end, change = outcome(task, e, experiments)
        said = f"{change.describe()} than #{e.parent}" if change is not None else end.status
        lines.append(f"- #{e.id} ({e.lesson}) {e.idea} -> {said}")
    return [*lines, ""]


def write_report(
    root: Path, task: MLTask, experiments: list[Experiment], recalled: list[Recalled] | None = None
) -> dict[str, object]:
    """best.py, report.md, metric.png; returns the summary (best id, cross-validated and test metric)."""
    best = best_of(task, experiments)
    summary: dict[str, object] = {"experiments": len(experiments), "best": None}
    lines = [f"# {task.name}: experiment report", "", f"Goal: {task.goal}", ""]
    if best is not None:
        folder = (root / best.code_path).parent
        (root / "best.py").write_text((root / best.code_path).read_text(encoding="utf-8"), encoding="utf-8")
        test = score_predictions(root, task, folder / PREDICTIONS, "test")
        base = next((e for e in experiments if e.action == "baseline" and e.metric is not None), None)
        summary.update(best=best.id, cv=best.metric, cv_spread=spread(best.folds), test=test)
        summary.update(baseline_cv=base.metric if base else None)
        against = ""
        if base is not None and base.id != best.id:
            against = f" Against the baseline: {gain(task.metric, best.folds, base.folds).describe()}."
        lines += [
            f"Best: experiment #{best.id} ({best.idea}): cross-validated {task.metric} {best.metric:.4f} "
            f"+- {spread(best.folds):.4f} over {len(best.folds)} folds; test {test:.4f} (refit on all "
            f"training rows, scored once, for this experiment only).{against} Script: `best.py`.",
            "",
            "A newcomer becomes the best only when it beats the best on the paired folds by more than "
            "their noise (see docs/ml.md).",
            "",
        ]
    lines += [
        "| # | parent | action | idea | status | CV mean +- spread | train | s | tokens |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in experiments:
        score = f"{e.metric:.4f} +- {spread(e.folds):.4f}" if e.metric is not None else "-"
        train = f"{e.train_metric:.4f}" if e.train_metric is not None else "-"
        idea = e.idea.replace("|", "/")
        lines.append(
            f"| {e.id} | {e.parent} | {e.action} | {idea} | {e.status} | {score} | {train} | {e.duration_s} "
            f"| {e.tokens} |"
        )
    lines += ["", "## Tree", "", *_tree(experiments), "", "![metric](metric.png)", ""]
    lines += _lessons_section(task, experiments, recalled or [])
    (root / "report.md").write_text("\n".join(lines), encoding="utf-8")
    plot(task, experiments, root / "metric.png")
    return summary
