"""The table of a ``triloop bench repos`` run, and its ``summary.json``."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from triloop.bench.repo_tasks import load_projects
from triloop.bench.repos import RepoRecord, read_records, summarize


def project_rows(records: list[RepoRecord]) -> list[dict]:
    """Per project: its size, its tasks, resolved per strategy, the largest prompt sent."""
    projects = load_projects()
    rows = []
    for name in sorted(
        {r.project for r in records}, key=lambda n: projects[n].python_lines if n in projects else 0
    ):
        mine = [r for r in records if r.project == name]
        resolved = " / ".join(
            str(len({r.task for r in mine if r.strategy == s and r.resolved}))
            for s in ("plain", "agentless", "triloop")
        )
        rows.append(
            {
                "project": name,
                "python_lines": projects[name].python_lines if name in projects else 0,
                "tasks": len({r.task for r in mine}),
                "resolved": resolved,
                "max_prompt_tokens": max((r.max_prompt_tokens for r in mine), default=0),
            }
        )
    return rows


def report(out: Path, console: Console) -> None:
    """Print the comparison of ``out/records.jsonl`` and write ``out/summary.json``."""
    records = read_records(out)
    rows = summarize(records)
    table = Table(title=f"bench repos: {out}")
    for column in (
        "strategy",
        "resolved",
        "95% CI",
        "W/L vs plain",
        "broke a test",
        "tokens/task",
        "wall/task",
        "max prompt",
        "errors",
    ):
        table.add_column(column)
    for row in rows:
        wl = f"+{row.wins}/-{row.losses}" if row.wins is not None else "-"
        table.add_row(
            row.strategy,
            f"{row.resolved}/{row.tasks}",
            f"{row.low:.0%}-{row.high:.0%}",
            wl,
            str(row.broken_tasks),
            f"{row.tokens_per_task:,.0f}",
            f"{row.wall_per_task:.0f} s",
            str(row.max_prompt_tokens),
            str(row.errors),
        )
    console.print(table)
    for row in rows:
        labels = ", ".join(f"{label} {right}/{given} right" for label, (given, right) in row.labels.items())
        console.print(f"{row.strategy} labels: {labels}", highlight=False)
    projects = project_rows(records)
    sizes = Table(title="per project: size and the largest prompt any strategy sent")
    for column in (
        "project",
        "python lines",
        "tasks",
        "resolved (plain / agentless / triloop)",
        "max prompt",
    ):
        sizes.add_column(column)
    for row in projects:
        sizes.add_row(
            row["project"],
            f"{row['python_lines']:,}",
            str(row["tasks"]),
            row["resolved"],
            str(row["max_prompt_tokens"]),
        )
    console.print(sizes)
    commits = sorted({r.commit or "unknown" for r in records})
    models = sorted({r.model for r in records if r.model})
    summary = {
        "commits": commits,
        "models": models,
        "strategies": [r.model_dump() for r in rows],
        "projects": projects,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    console.print(f"models {', '.join(models) or '?'}; commits {', '.join(commits)}; summary.json written")
