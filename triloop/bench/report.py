"""The bench's summary: pass@1 with its uncertainty, against what it cost, per strategy.

A pass rate on 20 problems is a wide range, not a number: the 95% Wilson interval says how wide, so a
"win" inside the noise is not read as one. Wins and losses against ``plain`` count only problems both
ran, so a strategy is never credited for problems its anchor did not see. A second table says how far
the team's own labels can be trusted: of the problems it called settled easy, verified or unsure, how
many it got right (a "verified" that is often wrong is worse than an honest "unsure"), and the median
wall time per problem (a few runs that hit their budget pull the mean far from the typical run).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel
from rich import box
from rich.console import Console
from rich.table import Table

from triloop.bench.errors import BenchDependencyError, BenchInputError
from triloop.bench.harness import RESULTS_FILE, BenchRecord, outcome_label, read_records, unique

ANCHOR = "plain"
SUMMARY_FILE = "summary.json"
PLOT_FILE = "pass_vs_tokens.png"
Z_95 = 1.959963984540054
#: The outcome labels in the order the outcome table shows them, with their column names.
OUTCOME_COLUMNS = {"easy": "settled easy", "verified": "verified", "unsure": "unsure"}


class OutcomeCount(BaseModel):
    """How many problems got one outcome label, and how many of those the strategy got right."""

    n: int = 0
    right: int = 0


class StrategySummary(BaseModel):
    """One strategy's row of the summary."""

    strategy: str
    n: int
    passed: int
    pass_at_1: float
    ci_low: float
    ci_high: float
    mean_calls: float
    mean_tokens: float
    tokens_per_solved: float | None
    wins: int | None = None  # vs plain: this one solved, plain did not (None for plain or without plain)
    losses: int | None = None
    mean_wall_s: float
    errors: int = 0
    # --pools: of the problems whose pool was kept, how many pools held a candidate passing the hidden
    # tests (the ceiling of any selection rule: below it the checks picked wrong, above it no draft was right)
    pool_n: int | None = None
    pool_passed: int | None = None
    median_wall_s: float | None = None  # None in summaries written before it was reported
    # outcome label (easy, verified, unsure) -> problems given it and how many of those were right
    outcomes: dict[str, OutcomeCount] = {}


class BenchSummary(BaseModel):
    """What ``summary.json`` holds."""

    results: str
    models: list[str]
    commits: list[str]
    problems: int
    strategies: list[StrategySummary]


def wilson(passed: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of ``passed`` successes in ``n`` trials (``(0, 1)`` when n is 0)."""
    if n <= 0:
        return 0.0, 1.0
    p = passed / n
    denominator = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if passed <= 0 else max(0.0, center - half)  # exact ends: no float dust at 0/n and n/n
    high = 1.0 if passed >= n else min(1.0, center + half)
    return low, high


def summarize(records: Sequence[BenchRecord]) -> list[StrategySummary]:
    """Per strategy, in the order strategies first appear in ``records``."""
    records = unique(records)
    by_strategy: dict[str, dict[str, BenchRecord]] = {}
    for record in records:
        by_strategy.setdefault(record.strategy, {})[record.task_id] = record
    anchor = by_strategy.get(ANCHOR)
    rows = []
    for name, results in by_strategy.items():
        n = len(results)
        passed = sum(r.passed for r in results.values())
        tokens = sum(r.tokens for r in results.values())
        low, high = wilson(passed, n)
        wins = losses = None
        if anchor is not None and name != ANCHOR:
            shared = results.keys() & anchor.keys()
            wins = sum(results[t].passed and not anchor[t].passed for t in shared)
            losses = sum(anchor[t].passed and not results[t].passed for t in shared)
        pooled = [r.pool for r in results.values() if r.pool]
        outcomes = {label: OutcomeCount() for label in OUTCOME_COLUMNS}
        for record in results.values():
            count = outcomes.setdefault(outcome_label(record), OutcomeCount())
            count.n += 1
            count.right += int(record.passed)
        rows.append(
            StrategySummary(
                strategy=name,
                n=n,
                passed=passed,
                pass_at_1=passed / n,
                ci_low=low,
                ci_high=high,
                mean_calls=sum(r.calls for r in results.values()) / n,
                mean_tokens=tokens / n,
                tokens_per_solved=tokens / passed if passed else None,
                wins=wins,
                losses=losses,
                mean_wall_s=sum(r.wall_s for r in results.values()) / n,
                errors=sum(r.error is not None for r in results.values()),
                pool_n=len(pooled) or None,
                pool_passed=sum(any(m.hidden for m in pool) for pool in pooled) if pooled else None,
                median_wall_s=statistics.median(r.wall_s for r in results.values()),
                outcomes=outcomes,
            )
        )
    return rows


def _count(value: float) -> str:
    """A token count short enough for an 80-column table: 950, 9,500, 95.0k, 9.50M."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f}M"
    if value >= 10_000:
        return f"{value / 1000:.1f}k"
    return f"{value:,.0f}"


def table(rows: Sequence[StrategySummary], title: str = "triloop bench") -> Table:
    """The summary as a rich table (per-problem means; W/L: problems won and lost against plain)."""
    show_errors = any(row.errors for row in rows)
    show_pools = any(row.pool_n for row in rows)
    caption = "means per problem; W/L: won/lost vs plain on the same problems"
    caption += "; pool: pools holding a passing candidate" if show_pools else ""
    out = Table(
        title=title,
        caption=caption + ("; err: exceptions" if show_errors else ""),
        box=box.SIMPLE_HEAD,  # one space between columns: the table fits 80 columns (logs, CI)
        padding=(0, 0),
        show_edge=False,
    )
    columns = ["strategy", "passed", "pass@1", "95% CI", "calls", "tokens", "tok/solved", "W/L", "wall s"]
    columns += ["pool"] if show_pools else []
    for column in [*columns, *(["err"] if show_errors else [])]:
        out.add_column(column, justify="left" if column == "strategy" else "right")
    for row in rows:
        cells = [
            row.strategy,
            f"{row.passed}/{row.n}",
            f"{row.pass_at_1:.1%}",
            f"{row.ci_low * 100:.0f}-{row.ci_high:.0%}",
            f"{row.mean_calls:.1f}",
            _count(row.mean_tokens),
            "-" if row.tokens_per_solved is None else _count(row.tokens_per_solved),
            "-" if row.wins is None else f"+{row.wins}/-{row.losses}",
            _seconds(row.mean_wall_s),
        ]
        if show_pools:
            cells.append("-" if row.pool_n is None else f"{row.pool_passed}/{row.pool_n}")
        out.add_row(*cells, *([str(row.errors)] if show_errors else []))
    return out


def _seconds(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def outcome_table(rows: Sequence[StrategySummary]) -> Table:
    """Per strategy: the median wall per problem, and for each outcome label the team gave, how many of
    those problems it got right (``right/n``; ``-`` when no problem got that label)."""
    labels = [*OUTCOME_COLUMNS, *sorted({k for row in rows for k in row.outcomes} - OUTCOME_COLUMNS.keys())]
    out = Table(
        title="outcomes: right/n per label the team gave",
        caption="unlabelled (plain, older records): from stopped_by",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        show_edge=False,
    )
    for column in ["strategy", "median wall s", *(OUTCOME_COLUMNS.get(label, label) for label in labels)]:
        out.add_column(column, justify="left" if column == "strategy" else "right")
    for row in rows:
        cells = ["-" if row.median_wall_s is None else _seconds(row.median_wall_s)]
        for label in labels:
            count = row.outcomes.get(label)
            cells.append(f"{count.right}/{count.n}" if count and count.n else "-")
        out.add_row(row.strategy, *cells)
    return out


def plot(rows: Sequence[StrategySummary], path: Path) -> Path:
    """pass@1 (with its interval as error bars) against mean tokens per problem, one labelled point per
    strategy, as a PNG. matplotlib is imported here, on its Agg canvas (no display, no pyplot state)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise BenchDependencyError("the plot needs matplotlib: pip install 'triloop[bench]'") from None
    figure = Figure(figsize=(7, 4.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    widest = max((row.mean_tokens for row in rows), default=0.0)
    placed: list[tuple[float, float]] = []
    for row in rows:
        below, above = max(0.0, row.pass_at_1 - row.ci_low), max(0.0, row.ci_high - row.pass_at_1)
        axes.errorbar(
            [row.mean_tokens],
            [row.pass_at_1],
            yerr=[[below], [above]],
            fmt="o",
            capsize=4,
            label=row.strategy,
        )
        near = sum(  # labels of points that (nearly) coincide are stacked, not drawn over each other
            1
            for x, y in placed
            if abs(x - row.mean_tokens) <= 0.05 * max(widest, 1.0) and abs(y - row.pass_at_1) <= 0.03
        )
        placed.append((row.mean_tokens, row.pass_at_1))
        axes.annotate(
            row.strategy,
            (row.mean_tokens, row.pass_at_1),
            textcoords="offset points",
            xytext=(6, 6 - 12 * near),
        )
    axes.set_xlabel("mean tokens per problem")
    axes.set_ylabel("pass@1 (95% Wilson interval)")
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlim(0, widest * 1.2 if widest > 0 else 1.0)  # room for the labels right of the points
    axes.grid(alpha=0.3)
    n = max((row.n for row in rows), default=0)
    axes.set_title(f"pass@1 vs tokens ({n} problems)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def summary_of(records: Sequence[BenchRecord], results: Path) -> BenchSummary:
    """The whole summary (rows plus provenance) of ``records``."""
    records = unique(records)
    return BenchSummary(
        results=str(results),
        models=sorted({r.model for r in records}),
        commits=sorted({r.commit for r in records if r.commit}),
        problems=len({r.task_id for r in records}),
        strategies=summarize(records),
    )


def report(out_dir: Path, console: Console | None = None) -> BenchSummary:
    """Render ``out_dir/results.jsonl``: print the table, write ``summary.json`` and the PNG."""
    console = console or Console()
    results = out_dir / RESULTS_FILE
    records = read_records(results)
    if not records:
        raise BenchInputError(f"no bench results in {results}")
    summary = summary_of(records, results)
    (out_dir / SUMMARY_FILE).write_text(summary.model_dump_json(indent=2) + "\n", encoding="utf-8")
    models = ", ".join(m for m in summary.models if m) or "unknown"
    title = f"triloop bench: {summary.problems} problems, model {models}"
    console.print(table(summary.strategies, title=title))
    console.print(outcome_table(summary.strategies))
    plot(summary.strategies, out_dir / PLOT_FILE)
    for label, path in (
        ("results", results),
        ("summary", out_dir / SUMMARY_FILE),
        ("plot", out_dir / PLOT_FILE),
    ):
        console.print(f"{label + ':':9}{path}", highlight=False, soft_wrap=True)
    return summary


def load_summary(out_dir: Path) -> BenchSummary:
    """``summary.json`` of an earlier report."""
    return BenchSummary.model_validate(json.loads((out_dir / SUMMARY_FILE).read_text(encoding="utf-8")))
