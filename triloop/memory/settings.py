"""Settings of the vector memory. The main ``Settings`` embeds this as ``memory`` (env ``TRILOOP_MEMORY__*``).

``TRILOOP_MEMORY_DIR`` is honoured as the default directory, as the issue asks; a per-project override is
simply ``memory.dir`` in the project's ``triloop.toml``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field


def default_memory_dir() -> Path:
    """``$TRILOOP_MEMORY_DIR`` or ``~/.local/share/triloop/memory``."""
    env = os.environ.get("TRILOOP_MEMORY_DIR")
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "triloop" / "memory"


class MemorySettings(BaseModel):
    """Where the memory lives and how it merges, retrieves, bounds and refines."""

    dir: Path = Field(default_factory=default_memory_dir, description="PersistentClient directory")
    server_url: str | None = Field(
        None, description="http://host:port of a `chroma run` server; set = shared mode (dir unused)"
    )
    shared_lock_path: Path | None = Field(
        None, description="shared mode: a lock file all workers on this host use, for exact counters/merges"
    )
    merge_threshold: float = Field(
        0.92, gt=0.0, le=1.0, description="cosine similarity at or above which an add merges into a record"
    )
    max_records: int = Field(20_000, ge=1, description="per collection; prune() trims down to it")
    max_record_chars: int = Field(32_000, ge=256, description="serialized record size limit")
    mmr_lambda: float = Field(0.5, ge=0.0, le=1.0, description="1 = pure relevance, 0 = pure diversity")
    mmr_fetch_factor: int = Field(4, ge=1, description="MMR picks k out of k * this many candidates")
    filter_overfetch: int = Field(
        8, ge=1, description="filtered search first post-filters this many times more plain neighbours"
    )
    lock_timeout_s: float = Field(60.0, gt=0, description="wait for the cross-process write lock")
    max_traces: int = Field(20, ge=1, description="tool-call traces kept per tool doc")
    max_doc_versions: int = Field(5, ge=1, description="old tool-doc versions kept")
    max_rewrites: int = Field(5, ge=1, description="refine_doc rewrites allowed per tool doc")
    min_traces_to_compare: int = Field(
        3, ge=1, description="calls needed under two doc versions before their failure rates are compared"
    )
    stable_similarity: float = Field(
        0.98, gt=0.0, le=1.0, description="a rewrite this similar to the last one counts as 'no change'"
    )
    embedding_threads: int = Field(
        0, ge=0, description="embedder worker threads (one batch each, single-threaded BLAS); 0 = all cores"
    )
    model_dir: Path | None = Field(None, description="override the bundled MiniLM model directory")
