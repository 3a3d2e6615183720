"""Typed results of memory operations (what callers get back from ``MemoryStore``)."""

from __future__ import annotations

from pydantic import BaseModel

from triloop.memory.records import ExperienceRecord, ToolDocRecord, ToolsetRecord

AnyRecord = ToolDocRecord | ExperienceRecord | ToolsetRecord


class SearchHit(BaseModel):
    """One retrieved record with its cosine similarity to the query."""

    record: AnyRecord
    similarity: float


class AddResult(BaseModel):
    """What an add did: stored a new record, or merged into an existing near-duplicate."""

    id: str
    merged: bool
    similarity: float | None = None


class CollectionStats(BaseModel):
    name: str
    count: int


class MemoryStats(BaseModel):
    location: str
    shared: bool
    schema_version: int
    collections: list[CollectionStats]


class PruneReport(BaseModel):
    removed: dict[str, int]
