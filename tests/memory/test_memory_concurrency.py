"""Several processes writing one memory at once lose nothing: persistent mode (file lock + generation
reopen) and shared mode (real `chroma run` server)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from triloop.memory.settings import MemorySettings
from triloop.memory.store import MemoryStore
from triloop.tools.base import ToolSpec

WORKER = Path(__file__).with_name("writer_proc.py")
PROCS, EACH = 4, 12
SERVER_EACH = 200  # 4 x 200 memories from separate processes into one Chroma server


def _run_writers(target: str, *extra: str, each: int = EACH) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(w), str(each), target, *extra],
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(PROCS)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]


def _check(settings: MemorySettings, embedding) -> None:
    with MemoryStore(settings, embedding) as store:
        ids = {r.id for r in store.iter_records("experiences")}
        assert ids == {f"w{w}-{i}" for w in range(PROCS) for i in range(EACH)}
        doc = store.get_tool_doc("shared_tool")
        assert doc.calls == PROCS * EACH  # no lost read-modify-write update
        # Every record is findable through the vector index, not just present in the metadata table.
        for record in store.iter_records("experiences"):
            hits = store.search("experiences", record.embedding_text(), k=1, task_kind="coding", mmr=False)
            assert hits[0].record.id == record.id and hits[0].similarity > 0.999


def _seed(settings: MemorySettings, embedding) -> None:
    with MemoryStore(settings, embedding) as store:
        store.upsert_tool_doc(
            ToolSpec(name="shared_tool", signature="shared_tool()", purpose="counted by all")
        )


@pytest.mark.slow
def test_processes_share_a_persistent_directory(tmp_path, embedding) -> None:
    settings = MemorySettings(dir=tmp_path / "m")
    _seed(settings, embedding)
    _run_writers(str(settings.dir))
    _check(settings, embedding)


@pytest.mark.slow
def test_processes_share_a_chroma_server(chroma_server, embedding) -> None:
    settings = MemorySettings(server_url=chroma_server.url)
    _seed(settings, embedding)
    # Shared mode: the server serialises writes; distinct records are never lost. Counter updates are
    # read-modify-write across workers, so only the record set is asserted here (see docs/memory.md).
    _run_writers(chroma_server.url, each=SERVER_EACH)
    with MemoryStore(settings, embedding) as store:
        records = {r.id: r for r in store.iter_records("experiences")}
        written = {f"w{w}-{i}" for w in range(PROCS) for i in range(SERVER_EACH)}
        assert written <= set(records)  # all 800
        assert 1 <= store.get_tool_doc("shared_tool").calls <= PROCS * SERVER_EACH
        for rid in sorted(written)[::40]:  # and found through the server's vector index
            hit = store.search(
                "experiences", records[rid].embedding_text(), k=1, task_kind="coding", mmr=False
            )
            assert hit[0].record.id == rid


@pytest.mark.slow
def test_server_workers_with_a_host_lock_keep_exact_counters(tmp_path, chroma_server, embedding) -> None:
    lock = tmp_path / "memory.lock"
    settings = MemorySettings(server_url=chroma_server.url, shared_lock_path=lock)
    with MemoryStore(settings, embedding) as store:  # start clean on the session's server
        store.delete("experiences", [r.id for r in store.iter_records("experiences")] or ["none"])
        store.delete("tool_docs", ["tool:shared_tool"])
    _seed(settings, embedding)
    _run_writers(chroma_server.url, str(lock))
    _check(settings, embedding)
