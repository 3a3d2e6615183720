"""refine_doc: deterministic logic with a scripted FAKE LLM, plus one run on the real embedded model."""

from __future__ import annotations

import pytest
from memory_fake_llm import ScriptedFakeLLM

from triloop.errors import StructuredOutputError
from triloop.memory.records import ToolTrace
from triloop.memory.refine import refine_doc
from triloop.memory.settings import MemorySettings
from triloop.memory.store import MemoryStore
from triloop.tools.base import ToolSpec

SPEC = ToolSpec(
    name="run_python",
    signature="run_python(code: str, timeout: float = 30) -> str",
    purpose="Run code.",
    arguments={"code": "the code", "timeout": "seconds"},
)
REWRITE_1 = {
    "purpose": "Execute a complete Python 3 program in a sandbox and return its stdout and stderr.",
    "arguments": {"code": "a full program; print() what you need to see", "timeout": "seconds", "bogus": "x"},
    "examples": ['run_python(code="print(2 + 2)")'],
    "pitfalls": ["Only printed output is returned: end with print(result)."],
    "reason": "calls returned nothing because results were not printed",
}
REWRITE_2 = {
    "purpose": "Execute a Python 3 program in an isolated sandbox; returns stdout and stderr as text.",
    "arguments": {"code": "the whole program, imports included", "timeout": "seconds before it is killed"},
    "examples": ['run_python(code="import math\\nprint(math.pi)")'],
    "pitfalls": [
        "Only printed output is returned: end with print(result).",
        "Each call starts fresh: variables from earlier calls are gone.",
    ],
    "reason": "state was assumed to persist between calls",
}


def _fail(store: MemoryStore, note: str) -> None:
    store.record_tool_call("run_python", ToolTrace(ok=False, args={"code": "x = 1"}, output="", note=note))


def test_rewrites_keep_versions_and_stop_when_nothing_changes(tmp_path, embedding) -> None:
    settings = MemorySettings(dir=tmp_path / "m", max_doc_versions=2)
    with MemoryStore(settings, embedding) as store:
        store.upsert_tool_doc(SPEC)
        llm = ScriptedFakeLLM([REWRITE_1, REWRITE_2, REWRITE_2])

        assert refine_doc(store, "run_python", llm).verdict == "no_new_failures"
        assert llm.prompts == []  # no failures recorded: the model is not asked

        _fail(store, "printed nothing")
        result = refine_doc(store, "run_python", llm)
        doc = store.get_tool_doc("run_python")
        assert result.verdict == "rewritten" and doc.version == 2 and doc.rewrites == 1
        assert doc.spec.purpose == REWRITE_1["purpose"] and doc.spec.signature == SPEC.signature
        assert set(doc.spec.arguments) == {"code", "timeout"}  # invented argument dropped
        assert doc.history[0].spec == SPEC and doc.traces == []
        assert "printed nothing" in llm.prompts[0][1]["content"]

        _fail(store, "assumed x from the previous call")
        assert refine_doc(store, "run_python", llm).verdict == "rewritten"
        _fail(store, "still failing")
        result = refine_doc(store, "run_python", llm)  # same rewrite again: converged
        doc = store.get_tool_doc("run_python")
        assert result.verdict == "stable" and result.similarity >= settings.stable_similarity
        assert doc.stable and doc.spec.purpose == REWRITE_2["purpose"]
        assert [v.version for v in doc.history] == [1, 2]

        _fail(store, "more failures after convergence")
        assert refine_doc(store, "run_python", llm).verdict == "stable"
        assert len(llm.prompts) == 3  # no further model calls once stable


def test_rewrite_budget_is_bounded(tmp_path, embedding) -> None:
    replies = [
        {**REWRITE_1, "purpose": p} for p in ("Alpha purpose about code.", "Completely different: sandbox.")
    ]
    with MemoryStore(
        MemorySettings(dir=tmp_path / "m", max_rewrites=2, max_doc_versions=1), embedding
    ) as store:
        store.upsert_tool_doc(SPEC)
        llm = ScriptedFakeLLM(replies)
        for _ in range(2):
            _fail(store, "bad call")
            assert refine_doc(store, "run_python", llm).verdict == "rewritten"
        _fail(store, "bad call")
        assert refine_doc(store, "run_python", llm).verdict == "budget_spent"
        doc = store.get_tool_doc("run_python")
        assert doc.rewrites == 2 and len(doc.history) == 1 and doc.history[0].version == 2


@pytest.mark.model
def test_refine_with_the_real_embedded_model(request, store: MemoryStore) -> None:
    try:
        llm = request.getfixturevalue("local_llm_small")
    except pytest.FixtureLookupError:
        pytest.skip("tests/conftest.py has no local_llm_small fixture yet (the LLM client has not landed)")
    store.upsert_tool_doc(SPEC)
    _fail(store, "the call returned empty output because the code did not print its result")
    _fail(store, "NameError: a variable from a previous call was used; each call starts fresh")
    result = refine_doc(store, "run_python", llm)
    doc = store.get_tool_doc("run_python")
    assert result.verdict in ("rewritten", "stable")
    assert doc.version == 2 and doc.spec.name == "run_python" and doc.spec.signature == SPEC.signature
    assert doc.spec.purpose.strip()
    if result.verdict == "rewritten":
        assert doc.history[0].spec == SPEC


def _calls(store: MemoryStore, ok: int, failed: int) -> None:
    for _ in range(ok):
        store.record_tool_call("run_python", ToolTrace(ok=True, args={"code": "print(1)"}))
    for _ in range(failed):
        _fail(store, "bad call")


def test_stops_when_a_rewrite_does_not_reduce_failures(tmp_path, embedding) -> None:
    with MemoryStore(MemorySettings(dir=tmp_path / "m", min_traces_to_compare=4), embedding) as store:
        store.upsert_tool_doc(SPEC)
        llm = ScriptedFakeLLM([REWRITE_1, REWRITE_2])
        _calls(store, ok=2, failed=2)  # 50 % failures under the original doc
        assert refine_doc(store, "run_python", llm).verdict == "rewritten"
        _calls(store, ok=3, failed=1)  # 25 % under rewrite 1: it helped, so refining may go on
        assert refine_doc(store, "run_python", llm).verdict == "rewritten"
        _calls(store, ok=1, failed=3)  # 75 % under rewrite 2: worse than 25 % -> stop
        result = refine_doc(store, "run_python", llm)
        doc = store.get_tool_doc("run_python")
        assert result.verdict == "stable" and "25% -> 75%" in result.reason
        assert doc.stable and len(llm.prompts) == 2
        assert [(v.calls, v.failure_rate) for v in doc.history] == [(4, 0.5), (4, 0.25)]


def test_a_failed_model_call_leaves_the_doc_untouched(tmp_path, embedding) -> None:
    with MemoryStore(MemorySettings(dir=tmp_path / "m"), embedding) as store:
        store.upsert_tool_doc(SPEC)
        _fail(store, "printed nothing")
        llm = ScriptedFakeLLM([StructuredOutputError("no JSON in the answer"), REWRITE_1])
        result = refine_doc(store, "run_python", llm)
        doc = store.get_tool_doc("run_python")
        assert result.verdict == "llm_failed" and "no JSON" in result.reason
        assert doc.version == 1 and doc.spec == SPEC and len(doc.traces) == 1  # traces kept for a retry
        assert refine_doc(store, "run_python", llm).verdict == "rewritten"
