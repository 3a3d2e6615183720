"""Tool-doc refinement (DRAFT): rewrite a tool's doc from the calls that failed and the ones that worked.

Bounded on purpose: a doc is rewritten only when there are new failures since the last rewrite, at most
``max_rewrites`` times, and never again once rewriting stops changing anything — either the rewrite
comes back (nearly) the same as the doc it was meant to replace, or the calls made under the last
rewrite failed at least as often as under the doc before it (behaviour did not change). Further
rewrites would then only churn the prompt. The name and signature are facts about the tool, never the
model's to change; every replaced version is kept (the last ``max_doc_versions``).
"""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from triloop.errors import LLMError
from triloop.llm.base import LLM, Message
from triloop.memory.records import DocVersion, ToolDocRecord
from triloop.memory.store import MemoryStore
from triloop.tools.base import ToolSpec

Verdict = Literal["rewritten", "stable", "no_new_failures", "budget_spent", "llm_failed"]


class DocRewrite(BaseModel):
    """What the LLM returns: the improved doc body and why it changed."""

    purpose: str = Field(min_length=1)
    arguments: dict[str, str] = Field(default_factory=dict)
    examples: list[str] = Field(default_factory=list)
    pitfalls: list[str] = Field(default_factory=list)
    reason: str = Field("", description="one sentence: what was wrong or missing in the old doc")


class RefineResult(BaseModel):
    tool: str
    verdict: Verdict
    version: int
    similarity: float | None = Field(None, description="cosine(old doc, rewrite); high = no real change")
    reason: str = ""


SYSTEM = (
    "You maintain the documentation of a tool that AI agents call. Rewrite the doc so that the failures "
    "below would not happen again: fix the purpose, clarify argument meanings, add pitfalls and a correct "
    "example. Keep what the successful calls show works. Be concise. Answer with JSON only."
)


def _prompt(doc: ToolDocRecord) -> list[Message]:
    failed = [t for t in doc.traces if not t.ok]
    worked = [t for t in doc.traces if t.ok]

    def show(trace_list: list, limit: int) -> str:
        rows = [
            f"- args={json.dumps(t.args, ensure_ascii=False)[:300]} output={t.output[:300]!r} note={t.note[:200]!r}"
            for t in trace_list[-limit:]
        ]
        return "\n".join(rows) or "(none)"

    user = (
        f"Current doc (version {doc.version}):\n{doc.spec.render()}\n\n"
        f"Failed or misused calls:\n{show(failed, 8)}\n\nSuccessful calls:\n{show(worked, 4)}\n\n"
        'Return {"purpose": str, "arguments": {name: meaning}, "examples": [str], "pitfalls": [str], '
        '"reason": str}.'
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def refine_doc(store: MemoryStore, tool_name: str, llm: LLM) -> RefineResult:
    """Rewrite the doc of ``tool_name`` from its recorded traces, if that is still worth doing."""
    settings = store.settings
    doc = store.get_tool_doc(tool_name)
    if doc.stable:
        return RefineResult(
            tool=tool_name, verdict="stable", version=doc.version, reason="rewrites converged"
        )
    if doc.rewrites >= settings.max_rewrites:
        return RefineResult(tool=tool_name, verdict="budget_spent", version=doc.version)
    if not any(not t.ok for t in doc.traces):
        return RefineResult(tool=tool_name, verdict="no_new_failures", version=doc.version)
    rate = sum(not t.ok for t in doc.traces) / len(doc.traces)
    previous = doc.history[-1] if doc.history and doc.rewrites else None
    if (
        previous is not None
        and previous.failure_rate is not None
        and min(len(doc.traces), previous.calls) >= settings.min_traces_to_compare
        and rate >= previous.failure_rate
    ):
        # The last rewrite did not make calls fail less: rewriting again would only churn the doc.
        store.update(doc.model_copy(update={"stable": True}))
        reason = f"last rewrite did not reduce failures ({previous.failure_rate:.0%} -> {rate:.0%})"
        return RefineResult(tool=tool_name, verdict="stable", version=doc.version + 1, reason=reason)

    try:
        rewrite = llm.structured(_prompt(doc), DocRewrite, role="refiner", temperature=0.0)
    except LLMError as exc:  # a failed refinement leaves the doc (and its traces) as they were
        return RefineResult(tool=tool_name, verdict="llm_failed", version=doc.version, reason=str(exc)[:300])
    new_spec = ToolSpec(
        name=doc.spec.name,
        signature=doc.spec.signature,
        purpose=rewrite.purpose.strip(),
        # Arguments are the tool's real parameters: the model may re-explain them, not invent or drop them.
        arguments={
            **doc.spec.arguments,
            **{k: v for k, v in rewrite.arguments.items() if k in doc.spec.arguments},
        }
        if doc.spec.arguments
        else rewrite.arguments,
        examples=rewrite.examples[:5],
        pitfalls=rewrite.pitfalls[:8],
    )
    old_vec, new_vec = store.embedding.encode([doc.spec.render(), new_spec.render()])
    similarity = float(np.dot(old_vec, new_vec))
    if new_spec == doc.spec or similarity >= settings.stable_similarity:
        store.update(doc.model_copy(update={"stable": True, "traces": []}))
        return RefineResult(
            tool=tool_name,
            verdict="stable",
            version=doc.version + 1,
            similarity=similarity,
            reason=rewrite.reason,
        )
    archived = DocVersion(
        version=doc.version,
        spec=doc.spec,
        reason=doc.last_rewrite_reason,
        calls=len(doc.traces),
        failure_rate=rate,
    )
    history = [*doc.history, archived]
    updated = store.update(
        doc.model_copy(
            update={
                "spec": new_spec,
                "history": history[-settings.max_doc_versions :],
                "last_rewrite_reason": rewrite.reason.strip() or "rewritten from failed calls",
                "rewrites": doc.rewrites + 1,
                "traces": [],  # consumed: the next rewrite must be earned by failures of the new doc
            }
        )
    )
    return RefineResult(
        tool=tool_name,
        verdict="rewritten",
        version=updated.version,
        similarity=similarity,
        reason=rewrite.reason,
    )
