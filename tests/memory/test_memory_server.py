"""Shared mode against a real `chroma run` server: workers see each other's records, the embedding
function config lives on the server, and the data survives a server restart."""

from __future__ import annotations

import pytest

from triloop.memory.embedding import EMBEDDING_NAME
from triloop.memory.errors import MemoryUnavailableError
from triloop.memory.records import ExperienceRecord, ToolsetRecord
from triloop.memory.server import ChromaServer, free_port
from triloop.memory.settings import MemorySettings
from triloop.memory.store import MemoryStore


def test_two_workers_share_one_memory(chroma_server, embedding) -> None:
    settings = MemorySettings(server_url=chroma_server.url)
    with MemoryStore(settings, embedding) as a, MemoryStore(settings, embedding) as b:
        added = a.add(
            ToolsetRecord(name="is_prime", code="def is_prime(n): ...", doc="test whether n is prime")
        )
        hit = b.search("toolset", "check if a number is prime", k=1)[0]
        assert hit.record.id == added.id and b.stats().shared
        again = b.add(
            ToolsetRecord(name="is_prime", code="def is_prime(n): ...", doc="test whether n is prime")
        )
        assert again.merged and a.get("toolset", added.id).merged == 1
        raw = a.backend.collection("triloop.toolset")
        assert raw.configuration_json["embedding_function"]["name"] == EMBEDDING_NAME


@pytest.mark.slow
def test_server_restart_keeps_records(tmp_path, embedding) -> None:
    path, port = tmp_path / "srv", free_port()
    url = f"http://127.0.0.1:{port}"
    with ChromaServer(path, port=port), MemoryStore(MemorySettings(server_url=url), embedding) as store:
        store.add(
            ExperienceRecord(
                task="Explain recursion", task_kind="general", outcome="solved", lesson="base case"
            )
        )
    with ChromaServer(path, port=port), MemoryStore(MemorySettings(server_url=url), embedding) as store:
        assert store.search("experiences", "what is recursion", k=1)[0].record.lesson == "base case"


def test_unreachable_server_is_a_clear_error(embedding) -> None:
    with pytest.raises(MemoryUnavailableError, match="cannot open the memory"):
        MemoryStore(MemorySettings(server_url=f"http://127.0.0.1:{free_port()}"), embedding)
    with pytest.raises(MemoryUnavailableError, match="bad memory server URL"):
        MemoryStore(MemorySettings(server_url="ftp:/nowhere"), embedding)
