"""Shared fixtures: real LLM clients on the embedded models, started once per test session.

The servers are real llama.cpp servers (xllamacpp) on 127.0.0.1; the models are assembled from the
installed part packages and verified by sha256. Tests that need them are marked ``model``.
"""

from __future__ import annotations

import os

import pytest

from tests.sandboxes import real_sandbox
from triloop.config import load_settings


def _client(model: str):
    pytest.importorskip("xllamacpp", reason="the embedded model needs the 'local' extra (xllamacpp)")
    from triloop.llm.client import LLMClient

    client = LLMClient(load_settings(llm={"model": model, "temperature": 0.0}))
    try:
        client.endpoint()  # assemble + start (or reuse) the server now, not inside the first test
    except Exception as exc:  # a missing part package or a broken server must be visible, not skipped in CI
        if os.environ.get("CI"):
            raise
        pytest.skip(f"embedded model {model!r} unavailable: {exc}")
    return client


@pytest.fixture(scope="session")
def local_llm_small():
    """Real LLMClient on Qwen2.5-0.5B-Instruct Q4_K_M (fast)."""
    client = _client("local-small")
    yield client
    client.close()


@pytest.fixture(scope="session")
def local_llm():
    """Real LLMClient on Qwen2.5-Coder-1.5B-Instruct Q4_K_M (the default model)."""
    client = _client("local")
    yield client
    client.close()


@pytest.fixture(scope="module")
def sandbox():
    """The REAL sandbox (docker, else bwrap), one per test module."""
    with real_sandbox() as sb:
        yield sb


@pytest.fixture(scope="session")
def postgres():
    """A REAL PostgreSQL server (Debian's binaries) in a temporary directory, stopped after the session.

    The directory is made under /tmp, not pytest's 0700 tree, because the server runs as ``postgres``."""
    import shutil
    import tempfile
    from pathlib import Path

    pytest.importorskip("psycopg", reason="PostgreSQL tests need the 'scale' extra")
    from tests.postgres import TempPostgres, postgres_bin

    if postgres_bin() is None:
        if os.environ.get("CI"):
            raise RuntimeError("PostgreSQL is not installed: scripts/test.sh installs it (apt postgresql)")
        pytest.skip("PostgreSQL is not installed (scripts/test.sh installs it)")
    root = Path(tempfile.mkdtemp(prefix="triloop-pg-"))
    try:
        with TempPostgres(root / "pg") as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A REAL `chroma run --path <tmp> --host 127.0.0.1 --port <free>`, stopped after the session."""
    from triloop.memory.server import ChromaServer

    with ChromaServer(tmp_path_factory.mktemp("chroma") / "data") as server:
        yield server
