"""Foreign collections, schema-version mismatches, corrupt records and bad import files: clear errors,
and the rest of the store is left as it was."""

from __future__ import annotations

import json
from pathlib import Path

import chromadb
import pytest

from triloop.memory.errors import (
    ForeignCollectionError,
    ImportValidationError,
    MemoryStoreError,
    SchemaVersionError,
)
from triloop.memory.records import ExperienceRecord, ToolsetRecord, ToolTrace
from triloop.memory.settings import MemorySettings
from triloop.memory.store import MemoryStore
from triloop.memory.transfer import export_jsonl, import_jsonl
from triloop.tools.base import ToolSpec


def _seed(store: MemoryStore) -> None:
    store.add(
        ExperienceRecord(task="Sum the digits of a number", task_kind="coding", outcome="solved", lesson="L")
    )
    store.add(
        ToolsetRecord(
            name="digit_sum", code="def digit_sum(n): return sum(map(int, str(n)))", doc="sum digits"
        )
    )
    store.upsert_tool_doc(
        ToolSpec(name="run_python", signature="run_python(code: str) -> str", purpose="run code")
    )


def _raw_client(path: Path):
    return chromadb.PersistentClient(path=str(path))


def test_foreign_collection_is_refused_and_others_still_work(tmp_path, embedding) -> None:
    directory = tmp_path / "m"
    with MemoryStore(MemorySettings(dir=directory), embedding) as store:
        _seed(store)
    client = _raw_client(directory)
    # no triloop marker, under an older kind name whose collection a "general" search still reads
    client.create_collection("triloop.experiences.qa", embedding_function=None)
    client.clear_system_cache()
    with MemoryStore(MemorySettings(dir=directory), embedding) as store:
        with pytest.raises(ForeignCollectionError, match="not made by triloop"):
            store.search("experiences", "digits", task_kind="general")
        assert store.search("experiences", "sum of digits", task_kind="coding")[0].record.lesson == "L"
        assert store.get_tool_doc("run_python").spec.purpose == "run code"


def test_schema_version_mismatch_collection(tmp_path, embedding) -> None:
    directory = tmp_path / "m"
    with MemoryStore(MemorySettings(dir=directory), embedding) as store:
        _seed(store)
    client = _raw_client(directory)
    client.get_collection("triloop.toolset").modify(metadata={"triloop_schema": 99, "triloop_embedding": "x"})
    client.clear_system_cache()
    with MemoryStore(MemorySettings(dir=directory), embedding) as store:
        with pytest.raises(SchemaVersionError, match="version 99"):
            store.search("toolset", "digits")
        assert len(store.search("experiences", "digits")) == 1


def test_corrupt_record_is_a_clear_error(store: MemoryStore) -> None:
    _seed(store)
    collection = store.backend.collection("triloop.toolset")
    record_id = collection.get()["ids"][0]
    collection.update(ids=[record_id], documents=["{not json"])
    with pytest.raises(MemoryStoreError, match=f"toolset record {record_id} is corrupt"):
        store.get("toolset", record_id)
    collection.update(ids=[record_id], documents=[json.dumps({"schema_version": 7, "name": "x"})])
    with pytest.raises(SchemaVersionError, match="schema version 7"):
        store.get("toolset", record_id)


def test_export_import_round_trip(tmp_path, store: MemoryStore, embedding) -> None:
    _seed(store)
    store.record_tool_call("run_python", ToolTrace(ok=False))
    out = tmp_path / "memory.jsonl"
    report = export_jsonl(store, out)
    assert report.counts == {"tool_docs": 1, "experiences": 1, "toolset": 1}
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {line["kind"] for line in lines} == {"tool_docs", "experiences", "toolset"}
    with MemoryStore(MemorySettings(dir=tmp_path / "fresh"), embedding) as fresh:
        assert import_jsonl(fresh, out).total == 3
        assert fresh.get_tool_doc("run_python").failures == 1
        original = {r.id: r for kind in ("experiences", "toolset") for r in store.iter_records(kind)}
        for kind in ("experiences", "toolset"):
            for record in fresh.iter_records(kind):
                assert record == original[record.id]
        assert fresh.search("toolset", "add up the digits", k=1)[0].record.name == "digit_sum"


def test_import_reports_bad_lines_by_number_and_imports_nothing(tmp_path, store: MemoryStore) -> None:
    _seed(store)
    export_jsonl(store, tmp_path / "ok.jsonl")
    good = next(
        r
        for r in map(json.loads, (tmp_path / "ok.jsonl").read_text().splitlines())
        if r["kind"] == "experiences"
    )
    other = {**good, "id": "new-one", "task": "A brand new task"}
    bad_file = tmp_path / "bad.jsonl"
    bad_file.write_text(
        "\n".join(
            [
                json.dumps(other),  # 1: fine
                "{this is not json",  # 2
                json.dumps({**other, "kind": "recipes"}),  # 3: foreign kind
                json.dumps({**other, "schema_version": 2}),  # 4: schema mismatch
                json.dumps({**other, "outcome": "maybe"}),  # 5: invalid field
                "",  # blank lines are fine
                json.dumps({**other, "answer_summary": "x" * 40_000}),  # 7: oversized
                "[1, 2]",  # 8
                json.dumps(other),  # 9: duplicate id of line 1
            ]
        )
    )
    with pytest.raises(ImportValidationError) as info:
        import_jsonl(store, bad_file)
    assert [n for n, _ in info.value.problems] == [2, 3, 4, 5, 7, 8, 9]
    assert "schema version 2" in dict(info.value.problems)[4]
    assert "outcome" in dict(info.value.problems)[5]
    assert "first on line 1" in dict(info.value.problems)[9]
    assert [r.id for r in store.iter_records("experiences")] == [good["id"]]  # nothing imported
