"""What an ML run leaves in its task directory: ``best.py``, ``report.md`` and ``metric.png``.

The test split is scored once, for the best experiment only, from its written predictions and the
hidden labels: choosing among experiments by their test score would leak the test set into the choice.
"""

from __future__ import annotations

from pathlib import Path

from triloop.ml.experiments import Experiment, best_of
from triloop.ml.harness import PREDICTIONS, score_predictions
from triloop.ml.metrics import better
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
    """The validation metric per experiment and the best-so-far line."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    xs = [e.id for e in experiments if e.metric is not None]
    ys = [e.metric for e in experiments if e.metric is not None]
    best, line = None, []
    for e in experiments:
        if e.metric is not None and (best is None or better(task.metric, e.metric, best)):
            best = e.metric
        line.append(best)
    ax.plot(xs, ys, "o", label="experiment")
    ax.step([e.id for e in experiments], line, where="post", label="best so far")
    ax.set_xlabel("experiment")
    ax.set_ylabel(f"validation {task.metric}")
    ax.set_title(f"{task.name}: {task.metric} ({task.direction})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_report(
    root: Path, task: MLTask, experiments: list[Experiment], lessons: str = ""
) -> dict[str, object]:
    """best.py, report.md, metric.png; returns the summary (best id, validation and test metric)."""
    best = best_of(task, experiments)
    summary: dict[str, object] = {"experiments": len(experiments), "best": None}
    lines = [f"# {task.name}: experiment report", "", f"Goal: {task.goal}", ""]
    if best is not None:
        folder = (root / best.code_path).parent
        (root / "best.py").write_text((root / best.code_path).read_text(encoding="utf-8"), encoding="utf-8")
        test = score_predictions(root, task, folder / PREDICTIONS, "test")
        baseline = next((e.metric for e in experiments if e.action == "baseline"), None)
        summary.update(best=best.id, valid=best.metric, test=test, baseline_valid=baseline)
        lines += [
            f"Best: experiment #{best.id} ({best.idea}): validation {task.metric} {best.metric:.4f}, "
            f"test {test:.4f} (scored once, for this experiment only). Baseline validation: "
            f"{baseline if baseline is None else f'{baseline:.4f}'}. Script: `best.py`.",
            "",
        ]
    lines += [
        "| # | parent | action | idea | status | validation | train | s | tokens |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in experiments:
        score = f"{e.metric:.4f}" if e.metric is not None else "-"
        train = f"{e.train_metric:.4f}" if e.train_metric is not None else "-"
        idea = e.idea.replace("|", "/")
        lines.append(
            f"| {e.id} | {e.parent} | {e.action} | {idea} | {e.status} | {score} | {train} | {e.duration_s} "
            f"| {e.tokens} |"
        )
    lines += ["", "## Tree", "", *_tree(experiments), "", "![metric](metric.png)", ""]
    lines += [
        "## Lessons from memory given to the Reviewer",
        "",
        lessons.strip() or "(none: memory off or empty)",
        "",
    ]
    used = [e for e in experiments if e.lesson]
    if used:
        lines += ["Ideas the Reviewer took from them:", ""]
        lines += [f"- #{e.id} {e.idea} (from: {e.lesson}) -> {e.status}" for e in used] + [""]
    (root / "report.md").write_text("\n".join(lines), encoding="utf-8")
    plot(task, experiments, root / "metric.png")
    return summary
