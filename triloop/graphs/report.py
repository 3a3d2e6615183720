"""``triloop report RUN_ID``: render a run's trace as one self-contained HTML page (no assets)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from triloop.graphs.report_loop import loop_tree, timeline
from triloop.graphs.state import OUTCOME_LABELS


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;
width:100%;margin-bottom:1.5em;font-size:13px}td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;
vertical-align:top;white-space:pre-wrap}th{background:#f0f0f0}.ok{color:#070}.bad{color:#a00}
ul.tree{list-style:none;border-left:2px solid #ccc;padding-left:1em}ul.tree li{margin:.3em 0}"""


def render_report(events: list[dict[str, Any]], run_id: str) -> str:
    """The HTML page: outcome, cost, scores per candidate, decisions, LLM calls and tool calls."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event.get("type", "?"), []).append(event)
    t0 = events[0]["t"] if events else 0.0
    parts = [f"<h1>triloop run {escape(run_id)}</h1>"]
    for result in by_type.get("result", [])[-1:]:
        verdict = OUTCOME_LABELS.get(
            result.get("outcome", ""), "verified" if result.get("verified") else "unsure"
        )
        parts.append(
            f"<h2>Answer</h2><pre>{escape(str(result.get('answer')))}</pre>"
            f"<p class={'bad' if result.get('outcome') == 'unsure' else 'ok'}>{verdict}; score {result.get('score')}; "
            f"stopped by {escape(str(result.get('stopped_by')))} ({escape(str(result.get('reason', '')))}); "
            f"strategy {escape(str(result.get('strategy')))}; rounds {result.get('rounds')}</p>"
        )
        if result.get("code"):
            parts.append(f"<h3>Code</h3><pre>{escape(result['code'])}</pre>")
        usage = result.get("usage", {})
        parts.append("<h3>Cost</h3>" + _table(["item", "value"], [[k, v] for k, v in usage.items()]))
        evidence = [
            [e.get("kind"), e.get("step"), e.get("passed"), e.get("detail")]
            for e in result.get("evidence", [])
        ]
        parts.append("<h3>Evidence</h3>" + _table(["kind", "step", "passed", "detail"], evidence))
    if not by_type.get("result"):
        parts.append("<p class=bad>The run has not finished (crashed, interrupted or still running).</p>")
    parts.append(loop_tree(events))
    parts.append(timeline(events))
    scores = [
        [
            e.get("candidate"),
            e.get("parent"),
            e.get("status"),
            e.get("score"),
            e.get("answer"),
            json.dumps(e.get("components")),
            json.dumps(e.get("step_scores")),
        ]
        for e in by_type.get("score", [])
    ]
    parts.append(
        "<h2>Scores</h2>"
        + _table(["candidate", "parent", "status", "score", "answer", "components", "steps"], scores)
    )
    decisions = [
        [f"{e['t'] - t0:.2f}", e.get("decision"), e.get("stopped_by"), e.get("reason")]
        for e in by_type.get("decision", [])
    ]
    parts.append(
        "<h2>Triage decisions</h2>" + _table(["t (s)", "decision", "stopped by", "reason"], decisions)
    )
    feedback = [
        [e.get("candidate_id"), e.get("wrong_step"), e.get("why"), e.get("change")]
        for e in by_type.get("feedback", [])
    ]
    parts.append("<h2>Reviews</h2>" + _table(["candidate", "wrong step", "why", "change"], feedback))
    calls = [
        [
            f"{e['t'] - t0:.2f}",
            e.get("node"),
            e.get("role"),
            e.get("purpose"),
            e.get("prompt_tokens"),
            e.get("completion_tokens"),
            f"{e.get('latency_s', 0):.2f}",
            e.get("text", "")[:600],
        ]
        for e in by_type.get("llm_call", [])
    ]
    parts.append(
        "<h2>LLM calls</h2>"
        + _table(
            ["t (s)", "node", "role", "purpose", "prompt tok", "completion tok", "latency s", "reply"], calls
        )
    )
    tools = [
        [
            f"{e['t'] - t0:.2f}",
            e.get("role"),
            e.get("tool"),
            e.get("ok"),
            json.dumps(e.get("args"))[:400],
            str(e.get("output", ""))[:600],
        ]
        for e in by_type.get("tool_call", [])
    ]
    parts.append("<h2>Tool calls</h2>" + _table(["t (s)", "role", "tool", "ok", "args", "output"], tools))
    return f"<!doctype html><html><head><meta charset=utf-8><title>triloop {escape(run_id)}</title><style>{_CSS}</style></head><body>{''.join(parts)}</body></html>"


def write_report(events: list[dict[str, Any]], out: Path, run_id: str) -> Path:
    """Render a run's trace ``events`` to ``out`` and return ``out``."""
    html = render_report(events, run_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
