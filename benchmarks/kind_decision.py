"""How well triloop tells a request for code from a request for an answer (the kind decision).

Each message of ``benchmarks/data/kind_decision.jsonl`` (labelled ``code`` or ``answer`` by hand) goes
through ``triloop.kinds.decide.decide_kind`` (rules first, the model for what they leave), with the real
model; ``--model-only`` also asks ``ask_model`` (the model alone, no rules) about every message, to see
what the rules add. Label ``code`` is kind ``coding``, ``answer`` is kind ``general``.

    python benchmarks/kind_decision.py [--model local|local-small] [--model-only] [--data SET.jsonl ...]

Prints accuracy overall, per category and per deciding rule, the misclassified messages, the model calls
made and their mean latency; writes the rows and totals to ``--out``
(default ``benchmarks/results/kind_decision-<model>.json``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import time
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from triloop.bench.harness import git_commit

DATA = Path(__file__).parent / "data" / "kind_decision.jsonl"
KIND = {"code": "coding", "answer": "general"}


class Counted:
    """The LLM, counting the calls made through it and the seconds they took."""

    def __init__(self, llm: Any) -> None:
        self.llm, self.calls, self.seconds = llm, 0, 0.0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.llm, name)
        if name not in {"complete", "structured", "acomplete", "astructured"}:
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.calls += 1
                self.seconds += time.perf_counter() - started

        async def atimed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await attr(*args, **kwargs)
            finally:
                self.calls += 1
                self.seconds += time.perf_counter() - started

        return atimed if inspect.iscoroutinefunction(attr) else timed


def run_one(fn: Any, text: str, llm: Counted) -> dict:
    """One decision with its model calls and time; an exception is recorded, not raised."""
    calls, seconds, started = llm.calls, llm.seconds, time.perf_counter()
    try:
        # decide_kind(text, llm); an earlier draft of decide.py takes an AgentContext first
        if next(iter(inspect.signature(fn).parameters)) == "text":
            kind, by, reason = fn(text, llm)
        else:
            from triloop.agents.base import AgentContext

            kind, by, reason = fn(AgentContext(llm=llm), text)
    except Exception as exc:  # a crash is a wrong decision, and the run goes on
        kind, by, reason = "error", "error", f"{type(exc).__name__}: {exc}"
    return {"kind": kind, "by": by, "reason": reason, "calls": llm.calls - calls,
            "model_s": round(llm.seconds - seconds, 3), "wall_s": round(time.perf_counter() - started, 3)}  # fmt: skip


def totals(rows: list[dict], key: str) -> dict:
    """Accuracy overall, per label, category and deciding rule; model calls and latency of ``rows[*][key]``."""
    got = [r[key] for r in rows]
    right = [g["kind"] == KIND[r["label"]] for r, g in zip(rows, got, strict=True)]
    groups: dict[str, dict[str, list[bool]]] = {"label": {}, "category": {}, "by": {}}
    for r, g, ok in zip(rows, got, right, strict=True):
        for name, value in (("label", r["label"]), ("category", r["category"]), ("by", g["by"])):
            groups[name].setdefault(value, []).append(ok)
    calls = sum(g["calls"] for g in got)
    return {
        "messages": len(rows),
        "correct": sum(right),
        "accuracy": round(sum(right) / max(1, len(rows)), 4),
        **{f"per_{name}": {k: {"n": len(v), "correct": sum(v)} for k, v in group.items()}
           for name, group in groups.items()},
        "model_calls": calls,
        "messages_with_a_model_call": sum(g["calls"] > 0 for g in got),
        "mean_model_call_s": round(sum(g["model_s"] for g in got) / max(1, calls), 3),
        "mean_message_s": round(sum(g["wall_s"] for g in got) / max(1, len(rows)), 3),
    }  # fmt: skip


def frac(correct: int = 0, n: int = 0) -> str:
    return f"{correct}/{n} {correct / max(1, n):.0%}"


def short(text: str, width: int = 70) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def print_report(rows: list[dict], summary: dict[str, dict], title: str) -> None:
    console = Console()
    modes = list(summary)
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column in ("", *modes):
        table.add_column(column, justify="right" if column else "left")
    table.add_row("accuracy", *(frac(summary[m]["correct"], summary[m]["messages"]) for m in modes))
    for label in KIND:
        table.add_row(f"label {label}", *(frac(**summary[m]["per_label"].get(label, {})) for m in modes))
    table.add_row("model calls", *(str(summary[m]["model_calls"]) for m in modes))
    table.add_row("messages to the model", *(str(summary[m]["messages_with_a_model_call"]) for m in modes))
    table.add_row("mean s / model call", *(f"{summary[m]['mean_model_call_s']:.2f}" for m in modes))
    table.add_row("mean s / message", *(f"{summary[m]['mean_message_s']:.2f}" for m in modes))
    console.print(table)

    per = Table(title="per category", box=box.SIMPLE_HEAD)
    for column in ("category", "label", *modes):
        per.add_column(column, justify="right" if column in modes else "left")
    labels = {r["category"]: r["label"] for r in rows}
    for category, label in sorted(labels.items(), key=lambda kv: (kv[1], kv[0])):
        per.add_row(category, label, *(frac(**summary[m]["per_category"][category]) for m in modes))
    console.print(per)

    by = Table(title="decide: per rule", box=box.SIMPLE_HEAD)
    for column in ("by", "messages", "correct"):
        by.add_column(column, justify="left" if column == "by" else "right")
    for name, v in sorted(summary["decide"]["per_by"].items()):
        by.add_row(name, str(v["n"]), frac(**v))
    console.print(by)

    for mode in modes:  # plain lines: a log keeps them whole
        wrong = [r for r in rows if r[mode]["kind"] != KIND[r["label"]]]
        print(f"\n{mode}: {len(wrong)} misclassified")
        for r in wrong:
            g = r[mode]
            print(f"  {r['id']} [{r['category']}] {r['label']} -> {g['kind']} by {g['by']}: {g['reason']}")
            print(f"      {short(r['text'], 100)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local", help="'local', 'local-small' or a remote model name")
    parser.add_argument("--data", type=Path, nargs="+", default=[DATA], help="one or more JSONL sets")
    parser.add_argument("--out", type=Path, help="default: benchmarks/results/kind_decision-<model>.json")
    parser.add_argument("--model-only", action="store_true", help="also ask the model alone (no rules)")
    args = parser.parse_args()
    name = re.sub(r"[^\w.-]", "_", args.model)  # a remote model name may hold a slash
    out = args.out or Path(__file__).parent / "results" / f"kind_decision-{name}.json"
    lines = [line for path in args.data for line in path.read_text(encoding="utf-8").splitlines()]
    messages = [json.loads(line) for line in lines if line.strip()]

    from contextlib import ExitStack

    from triloop.cli_options import settings_for
    from triloop.graphs.factory import open_llm
    from triloop.kinds.decide import ask_model, decide_kind

    settings = settings_for(args.model)
    modes = {"decide": decide_kind, **({"model_only": ask_model} if args.model_only else {})}
    rows = []
    with ExitStack() as stack:
        llm = Counted(open_llm(stack, settings))
        for message in messages:
            row = {**message, **{mode: run_one(fn, message["text"], llm) for mode, fn in modes.items()}}
            rows.append(row)
            marks = "  ".join(f"{m}={row[m]['kind']} ({row[m]['by']})" for m in modes)
            ok = "ok " if row["decide"]["kind"] == KIND[message["label"]] else "BAD"
            print(f"{ok} {message['id']} {message['label']:6} {marks}  {short(message['text'], 50)}")

    summary = {mode: totals(rows, mode) for mode in modes}
    print_report(rows, summary, f"kind decision on {len(rows)} messages ({args.model}: {settings.llm.model})")
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"model": args.model, "llm_model": settings.llm.model, "commit": git_commit(),
              "data": [str(p) for p in args.data], "totals": summary, "rows": rows}  # fmt: skip
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
