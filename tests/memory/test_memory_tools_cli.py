"""The agent retrieval tools and the `triloop memory` CLI, on a real persistent store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from triloop.memory.records import ExperienceRecord, ToolsetRecord
from triloop.memory.store import MemoryStore
from triloop.tools.base import Tool, ToolSpec
from triloop.tools.retrieval import retrieval_tools


@pytest.fixture
def seeded(store: MemoryStore) -> MemoryStore:
    store.upsert_tool_doc(
        ToolSpec(
            name="run_python",
            signature="run_python(code: str) -> str",
            purpose="Execute Python code in a sandbox and return stdout.",
            pitfalls=["print the result"],
        )
    )
    store.add(
        ExperienceRecord(
            task="Compute 2**100 exactly", task_kind="coding", outcome="solved", lesson="ints are exact"
        )
    )
    store.add(ExperienceRecord(task="Reverse a string in Python", task_kind="coding", outcome="failed"))
    store.add(
        ExperienceRecord(task="Capital of France?", task_kind="general", outcome="solved", lesson="Paris")
    )
    store.add(
        ToolsetRecord(
            name="gcd",
            code="def gcd(a, b):\n    return a if b == 0 else gcd(b, a % b)",
            doc="greatest common divisor",
        )
    )
    return store


def test_retrieval_tools_return_compact_text(seeded: MemoryStore) -> None:
    tools = {t.spec.name: t for t in retrieval_tools(seeded)}
    assert set(tools) == {"search_tools", "get_tool_doc", "search_experiences", "search_toolset"}
    assert all(isinstance(t, Tool) and t.spec.purpose and t.spec.examples for t in tools.values())

    found = tools["search_tools"](query="execute some python")
    assert found.ok and "run_python(code: str) -> str" in found.output and "print the result" in found.output
    doc = tools["get_tool_doc"](name="run_python")
    assert doc.ok and doc.data["version"] == 1
    general = tools["search_experiences"](query="what is the capital of France", kind="general")
    assert general.ok and "Paris" in general.output and "2**100" not in general.output
    legacy = tools["search_experiences"](query="what is the capital of France", kind="qa")  # an older name
    assert legacy.ok and legacy.output == general.output
    fn = tools["search_toolset"](query="greatest common divisor of two integers", k=1)
    assert fn.ok and "def gcd" in fn.output and len(fn.data["hits"]) == 1
    assert seeded.get("toolset", fn.data["hits"][0]["id"]).retrieved == 1  # counted for prune


def test_retrieval_tools_report_bad_input_as_failed_results(seeded: MemoryStore) -> None:
    tools = {t.spec.name: t for t in retrieval_tools(seeded)}
    cases = [
        tools["search_tools"](query="  "),
        tools["get_tool_doc"](name="no_such_tool"),
        tools["search_experiences"](query="x", kind="poetry"),
        tools["search_toolset"](query="x", k=50),
        tools["search_toolset"](),
    ]
    assert [c.ok for c in cases] == [False] * 5
    assert "empty" in cases[0].output and "search_tools" in cases[1].output and "poetry" in cases[2].output
    assert "usage" in cases[4].output


def _cli(memory_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRILOOP_MEMORY_DIR": str(memory_dir)}
    return subprocess.run(
        [sys.executable, "-m", "triloop.cli", "memory", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.slow
def test_cli_round_trip_and_bad_input(tmp_path, seeded: MemoryStore) -> None:
    seeded.close()
    memory_dir = seeded.settings.dir
    stats = _cli(memory_dir, "stats")
    assert stats.returncode == 0 and "triloop.toolset" in stats.stdout
    hits = _cli(memory_dir, "search", "capital city of France", "--kind", "general")
    assert hits.returncode == 0 and "Paris" in hits.stdout
    out = tmp_path / "dump.jsonl"
    assert _cli(memory_dir, "export", str(out)).returncode == 0
    assert len(out.read_text().splitlines()) == 5

    fresh = tmp_path / "fresh"
    assert _cli(fresh, "import", str(out)).returncode == 0
    assert "imported 5" in _cli(fresh, "import", str(out)).stdout  # idempotent: same ids upserted

    corrupt = tmp_path / "corrupt.jsonl"
    corrupt.write_text(
        out.read_text() + "{broken\n" + json.dumps({"kind": "toolset", "schema_version": 9}) + "\n"
    )
    bad = _cli(fresh, "import", str(corrupt))
    assert bad.returncode != 0 and "line 6" in bad.stderr + bad.stdout and "line 7" in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr
    empty = _cli(fresh, "search", "   ")
    assert empty.returncode != 0 and "empty" in empty.stderr + empty.stdout
    assert _cli(fresh, "search", "x", "--kind", "poems").returncode != 0
    assert "pruned 1" in _cli(fresh, "prune", "--max-records", "1").stdout  # experiences.coding has 2


@pytest.mark.slow
def test_cli_refuses_a_foreign_collection_without_touching_it(tmp_path) -> None:
    import chromadb

    memory_dir = tmp_path / "foreign"
    client = chromadb.PersistentClient(path=str(memory_dir))
    client.create_collection("triloop.toolset", embedding_function=None).add(
        ids=["x"], embeddings=[[0.1, 0.2]], documents=["someone else's data"]
    )
    client.clear_system_cache()
    result = _cli(memory_dir, "stats")
    assert result.returncode != 0 and "not made by triloop" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    client = chromadb.PersistentClient(path=str(memory_dir))
    assert client.get_collection("triloop.toolset").get()["documents"] == ["someone else's data"]
    client.clear_system_cache()
