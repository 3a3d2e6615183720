"""Fixtures for the memory tests: one embedding model per session, a fresh persistent store per test,
(the real ``chroma run`` server of the shared-mode tests is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from triloop.memory.embedding import MiniLMEmbeddingFunction
from triloop.memory.settings import MemorySettings
from triloop.memory.store import MemoryStore


@pytest.fixture(scope="session")
def embedding() -> MiniLMEmbeddingFunction:
    ef = MiniLMEmbeddingFunction()
    ef.encode(["warm up"])  # load the weights once for the whole session
    return ef


@pytest.fixture
def settings(tmp_path: Path) -> MemorySettings:
    return MemorySettings(dir=tmp_path / "memory")


@pytest.fixture
def store(settings: MemorySettings, embedding: MiniLMEmbeddingFunction) -> Iterator[MemoryStore]:
    with MemoryStore(settings, embedding) as memory:
        yield memory
