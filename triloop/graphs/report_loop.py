"""The loop of a run, drawn: drafts, checks, reviews and refinements as a tree with scores, and a
timeline of the model and tool calls (what ran in parallel, what waited).

Read from the trace's events only, so a report can be drawn for any run, finished or not.
"""

from __future__ import annotations

from html import escape
from typing import Any

_ROW_PX = 16
_WIDTH_PX = 900


def _latest(events: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """The last event of ``kind`` per candidate."""
    found: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.get("type") == kind and event.get("candidate"):
            found[event["candidate"]] = event
    return found


def _node(cid: str, score: dict[str, Any], checks: dict[str, Any], reviews: dict[str, Any]) -> str:
    failed = [e for e in checks.get("evidence", []) if e.get("passed") is False]
    passed = [e for e in checks.get("evidence", []) if e.get("passed") is True]
    value = score.get("score")
    mark = "bad" if failed else "ok"
    text = f"<b>{escape(cid)}</b> {escape(str(score.get('status', '')))} · score "
    text += f"<span class={mark}>{value if value is not None else '-'}</span>"
    text += f" · answer <code>{escape(str(score.get('answer', ''))[:80])}</code>"
    if passed or failed:
        text += f" · checks {len(passed)} passed, <span class={mark}>{len(failed)} failed</span>"
    details = "".join(
        f"<li class=bad>{escape(str(e.get('kind')))}: {escape(str(e.get('detail'))[:200])}</li>"
        for e in failed
    )
    review = reviews.get(cid)
    if review:
        details += (
            f"<li>review: {escape(str(review.get('why', '')))} → {escape(str(review.get('change', '')))}</li>"
        )
    return text + (f"<ul>{details}</ul>" if details else "")


def loop_tree(events: list[dict[str, Any]]) -> str:
    """Drafts at the root, each refinement under the candidate it refined."""
    scores = _latest(events, "score")
    checks = _latest(events, "evidence")
    reviews = {e.get("candidate_id"): e for e in events if e.get("type") == "feedback"}
    children: dict[str | None, list[str]] = {}
    for cid, event in scores.items():
        children.setdefault(event.get("parent"), []).append(cid)

    def branch(parent: str | None) -> str:
        kids = sorted(children.get(parent, []))
        if not kids:
            return ""
        items = "".join(
            f"<li>{_node(c, scores[c], checks.get(c, {}), reviews)}{branch(c)}</li>" for c in kids
        )
        return f"<ul class=tree>{items}</ul>"

    decisions = [e for e in events if e.get("type") == "decision"]
    steps = " → ".join(
        escape(f"{e.get('decision')}" + (f" ({e['stopped_by']})" if e.get("stopped_by") else ""))
        for e in decisions
    )
    return (
        "<h2>The loop</h2>"
        + (branch(None) or "<p>no candidate was scored</p>")
        + (f"<p>triage: {steps}</p>" if steps else "")
    )


def timeline(events: list[dict[str, Any]]) -> str:
    """One bar per model or tool call, placed by when it ran (start = end - latency)."""
    calls = [e for e in events if e.get("type") in ("llm_call", "tool_call") and "t" in e]
    if not calls:
        return ""
    t0 = min(e["t"] - float(e.get("latency_s") or 0) for e in calls)
    t1 = max(e["t"] for e in calls)
    scale = _WIDTH_PX / max(t1 - t0, 1e-6)
    bars = []
    for row, event in enumerate(calls):
        latency = float(event.get("latency_s") or 0)
        x = (event["t"] - latency - t0) * scale
        width = max(latency * scale, 2)
        label = event.get("purpose") or event.get("tool") or ""
        colour = "#2457c5" if event["type"] == "llm_call" else "#1a7f37"
        y = row * _ROW_PX
        bars.append(
            f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{_ROW_PX - 3}" fill="{colour}">'
            f"<title>{escape(label)}: {latency:.1f} s</title></rect>"
            f'<text x="{x + width + 4:.1f}" y="{y + _ROW_PX - 5}" font-size="11">{escape(label)} {latency:.1f}s</text>'
        )
    height = len(calls) * _ROW_PX
    return (
        f"<h2>Timeline ({t1 - t0:.1f} s; model calls blue, tool calls green)</h2>"
        f'<svg width="{_WIDTH_PX + 220}" height="{height}" role="img">{"".join(bars)}</svg>'
    )
