"""The table of a ``triloop bench repos`` run, and its ``summary.json``."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from triloop.bench.repos import read_records, summarize


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
    commits = sorted({r.commit or "unknown" for r in records})
    models = sorted({r.model for r in records if r.model})
    summary = {"commits": commits, "models": models, "strategies": [r.model_dump() for r in rows]}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    console.print(f"models {', '.join(models) or '?'}; commits {', '.join(commits)}; summary.json written")
