"""``MemoryStore``: the typed API over the three collections (what agents, the graph and the CLI use).

Every write goes through ``ChromaBackend.writing()`` (cross-process safe); every record is validated
(schema, size) before anything is written, so bad input never leaves a half-written store behind.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np

from triloop.kinds.names import LEGACY_KINDS, current_name
from triloop.memory.backend import ChromaBackend, physical_names
from triloop.memory.embedding import MiniLMEmbeddingFunction
from triloop.memory.errors import (
    InvalidQueryError,
    RecordNotFoundError,
    RecordTooLargeError,
)
from triloop.memory.maintenance import PAGE, iter_collection, prune_collection
from triloop.memory.records import (
    KINDS,
    SCHEMA_VERSION,
    TASK_KINDS,
    ExperienceRecord,
    Kind,
    MemoryRecord,
    TaskKind,
    ToolDocRecord,
    ToolsetRecord,
    ToolTrace,
    parse_record,
)
from triloop.memory.results import AddResult, AnyRecord, CollectionStats, MemoryStats, PruneReport, SearchHit
from triloop.memory.search import nearest, query
from triloop.memory.settings import MemorySettings
from triloop.memory.where import validate as validate_where
from triloop.tools.base import ToolSpec

RecordT = TypeVar("RecordT", bound=MemoryRecord)


def _collection_of(record: MemoryRecord) -> str:
    if isinstance(record, ExperienceRecord):
        return f"{physical_names('experiences')[0].rsplit('.', 1)[0]}.{record.task_kind}"
    return physical_names(record.kind)[0]


class MemoryStore:
    """The vector memory. Build with ``MemoryStore(MemorySettings(...))``; inject an embedding to share it."""

    def __init__(self, settings: MemorySettings, embedding: MiniLMEmbeddingFunction | None = None) -> None:
        self.settings = settings
        model_dir = str(settings.model_dir) if settings.model_dir else None
        self.embedding = embedding or MiniLMEmbeddingFunction(
            model_dir=model_dir, threads=settings.embedding_threads
        )
        self.backend = ChromaBackend(settings, self.embedding)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- validation helpers -----------------------------------------------------------------------

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.embedding.encode(texts)

    def _check_size(self, record: MemoryRecord) -> str:
        payload = record.model_dump_json()
        if len(payload) > self.settings.max_record_chars:
            raise RecordTooLargeError(
                f"{record.kind} record {record.id} is {len(payload)} chars, limit {self.settings.max_record_chars}"
            )
        return payload

    @staticmethod
    def _parse(kind: Kind, record_id: str, document: str | None) -> AnyRecord:
        return parse_record(kind, record_id, document)  # type: ignore[return-value]

    @staticmethod
    def _check_query(query: str, k: int) -> None:
        if not isinstance(query, str) or not query.strip():
            raise InvalidQueryError("the query is empty")
        if not 1 <= k <= 100:
            raise InvalidQueryError(f"k must be between 1 and 100, got {k}")

    def _names(self, kind: Kind, task_kind: TaskKind | None = None) -> list[str]:
        if kind not in KINDS:
            raise InvalidQueryError(f"unknown memory kind {kind!r}; expected one of {', '.join(KINDS)}")
        if task_kind is not None:
            task_kind = current_name(task_kind)  # type: ignore[assignment]
            if kind != "experiences" or task_kind not in TASK_KINDS:
                raise InvalidQueryError(f"task kind {task_kind!r} only applies to experiences: {TASK_KINDS}")
            # older stores wrote "general" experiences as "qa" or "chat": read those collections too
            aliases = {task_kind, *(old for old, new in LEGACY_KINDS.items() if new == task_kind)}
            return [n for n in physical_names(kind) if n.rsplit(".", 1)[-1] in aliases]
        return physical_names(kind)

    # --- writes -----------------------------------------------------------------------------------

    def _upsert(self, name: str, records: list[MemoryRecord], vectors: np.ndarray | None = None) -> None:
        payloads = [self._check_size(r) for r in records]
        if vectors is None:
            vectors = self._encode([r.embedding_text() for r in records])
        self.backend.collection(name).upsert(
            ids=[r.id for r in records],
            embeddings=vectors,
            documents=payloads,
            metadatas=[r.filter_metadata() for r in records],
        )

    def add(self, record: MemoryRecord) -> AddResult:
        """Store a record, or fold it into an existing one at cosine >= ``merge_threshold``.

        Tool docs are keyed by tool name instead: adding a doc for a known tool merges its counters.
        """
        self._check_size(record)
        name = _collection_of(record)
        vector = self._encode([record.embedding_text()])
        with self.backend.writing():
            collection = self.backend.collection(name)
            if isinstance(record, ToolDocRecord):
                got = collection.get(ids=[record.id], include=["documents", "embeddings"])
                if got["ids"]:
                    existing = self._parse(record.kind, record.id, got["documents"][0])
                    existing.absorb(record)
                    self._upsert(name, [existing], np.asarray(got["embeddings"]))
                    return AddResult(id=existing.id, merged=True, similarity=1.0)
            elif collection.count():
                near = query(
                    collection,
                    query_embeddings=vector,
                    n_results=3,  # the nearest that may absorb it (ML lessons of other tasks may not)
                    include=["documents", "embeddings", "distances"],
                )
                for i, found in enumerate(near["ids"][0]):
                    similarity = 1.0 - float(near["distances"][0][i])
                    if similarity < self.settings.merge_threshold:
                        break
                    existing = self._parse(record.kind, found, near["documents"][0][i])
                    if not existing.can_absorb(record):
                        continue
                    before = existing.embedding_text()
                    existing.absorb(record)
                    same_text = existing.embedding_text() == before  # else re-embed (new lesson)
                    self._upsert(
                        name, [existing], np.asarray(near["embeddings"][0][i : i + 1]) if same_text else None
                    )
                    return AddResult(id=existing.id, merged=True, similarity=similarity)
            self._upsert(name, [record], vector)
        return AddResult(id=record.id, merged=False)

    def put(self, records: Iterable[MemoryRecord]) -> int:
        """Insert or replace records as they are (ids kept, no merging): what import uses."""
        by_name: dict[str, list[MemoryRecord]] = {}
        for record in records:
            self._check_size(record)
            by_name.setdefault(_collection_of(record), []).append(record)
        count = 0
        with self.backend.writing():
            for name, batch in by_name.items():
                for start in range(0, len(batch), PAGE):
                    self._upsert(name, batch[start : start + PAGE])
                count += len(batch)
        return count

    def update(self, record: RecordT) -> RecordT:
        """Replace a stored record in place, bumping its version (the caller's copy is not modified)."""
        name = _collection_of(record)
        with self.backend.writing():
            collection = self.backend.collection(name)
            got = collection.get(ids=[record.id], include=["documents"])
            if not got["ids"]:
                raise RecordNotFoundError(f"no {record.kind} record {record.id}")
            current = self._parse(record.kind, record.id, got["documents"][0])
            updated = record.model_copy(
                update={"version": current.version + 1, "updated_at": datetime.now(UTC)}, deep=True
            )
            self._upsert(name, [updated])
        return updated

    def _modify(
        self, kind: Kind, record_id: str, change: Any, task_kind: TaskKind | None = None
    ) -> AnyRecord:
        """Read-modify-write of counters under the lock (no version bump: the content did not change)."""
        with self.backend.writing():
            for name in self._names(kind, task_kind):
                collection = self.backend.collection(name, create=False)
                if collection is None:
                    continue
                got = collection.get(ids=[record_id], include=["documents", "embeddings"])
                if got["ids"]:
                    record = self._parse(kind, record_id, got["documents"][0])
                    change(record)
                    self._upsert(name, [record], np.asarray(got["embeddings"]))
                    return record
        raise RecordNotFoundError(f"no {kind} record {record_id}")

    def mark_helped(self, kind: Kind, record_id: str) -> AnyRecord:
        """A caller reports the record helped: the strongest signal prune keeps records by."""
        return self._modify(kind, record_id, lambda r: setattr(r, "helped", r.helped + 1))

    def mark_retrieved(self, kind: Kind, ids: list[str]) -> None:
        """Count that these records were shown to an agent (one locked batch write; unknown ids ignored)."""
        if not ids:
            return
        with self.backend.writing():
            for name in self._names(kind):
                collection = self.backend.collection(name, create=False)
                if collection is None:
                    continue
                got = collection.get(ids=ids, include=["documents", "embeddings"])
                if not got["ids"]:
                    continue
                records = [self._parse(kind, i, d) for i, d in zip(got["ids"], got["documents"], strict=True)]
                for record in records:
                    record.retrieved += 1
                self._upsert(name, records, np.asarray(got["embeddings"]))

    def delete(self, kind: Kind, ids: list[str]) -> None:
        with self.backend.writing():
            for name in self._names(kind):
                collection = self.backend.collection(name, create=False)
                if collection is not None:
                    collection.delete(ids=ids)

    # --- typed conveniences for the graph ---------------------------------------------------------

    def add_experience(self, record: ExperienceRecord) -> AddResult:
        return self.add(record)

    def add_toolset_function(self, record: ToolsetRecord) -> AddResult:
        return self.add(record)

    def upsert_tool_doc(self, spec: ToolSpec) -> ToolDocRecord:
        """Register a tool's doc; an unchanged spec is a no-op, a changed one an in-place update."""
        try:
            current = self.get_tool_doc(spec.name)
        except RecordNotFoundError:
            self.add(ToolDocRecord.from_spec(spec))
            return self.get_tool_doc(spec.name)
        if current.spec == spec:
            return current
        return self.update(current.model_copy(update={"spec": spec}))

    def record_tool_call(self, name: str, trace: ToolTrace) -> ToolDocRecord:
        """Count a call of tool ``name`` and keep its trace (bounded) for refine_doc."""

        def change(record: MemoryRecord) -> None:
            assert isinstance(record, ToolDocRecord)
            record.calls += 1
            record.failures += 0 if trace.ok else 1
            record.traces = [*record.traces, trace][-self.settings.max_traces :]

        return self._modify("tool_docs", f"tool:{name}", change)  # type: ignore[return-value]

    def refine_doc(self, tool_name: str, llm: Any) -> Any:
        """Shortcut for :func:`triloop.memory.refine.refine_doc` (``llm``: a ``triloop.llm.base.LLM``)."""
        from triloop.memory.refine import refine_doc

        return refine_doc(self, tool_name, llm)

    # --- reads ------------------------------------------------------------------------------------

    def get(self, kind: Kind, record_id: str) -> AnyRecord:
        self.backend.refresh()
        for name in self._names(kind):
            collection = self.backend.collection(name, create=False)
            if collection is None:
                continue
            got = collection.get(ids=[record_id], include=["documents"])
            if got["ids"]:
                return self._parse(kind, record_id, got["documents"][0])
        raise RecordNotFoundError(f"no {kind} record {record_id}")

    def get_tool_doc(self, name: str) -> ToolDocRecord:
        if not name or not name.strip():
            raise InvalidQueryError("the tool name is empty")
        return self.get("tool_docs", f"tool:{name.strip()}")  # type: ignore[return-value]

    def search(
        self,
        kind: Kind,
        query: str,
        k: int = 5,
        *,
        task_kind: TaskKind | None = None,
        where: dict[str, Any] | None = None,
        mmr: bool = True,
    ) -> list[SearchHit]:
        """Top-``k`` records of ``kind`` for ``query``, diversified by MMR, optionally filtered.

        ``task_kind`` picks the experiences collection (fast); ``where`` is a Chroma metadata filter on
        the fields of ``filter_metadata()`` (e.g. ``{"outcome": "solved"}``).
        """
        self._check_query(query, k)
        if where is not None:
            validate_where(where)
        return self.search_vector(
            kind, self._encode([query])[0], k, task_kind=task_kind, where=where, mmr=mmr
        )

    def search_vector(
        self,
        kind: Kind,
        vector: np.ndarray,
        k: int = 5,
        *,
        task_kind: TaskKind | None = None,
        where: dict[str, Any] | None = None,
        mmr: bool = True,
    ) -> list[SearchHit]:
        """``search`` with a precomputed unit query vector (the benchmark and batch callers use it)."""
        self.backend.refresh()
        collections = [self.backend.collection(name, create=False) for name in self._names(kind, task_kind)]
        found = nearest(
            [c for c in collections if c is not None],
            vector,
            k,
            where=where,
            mmr_lambda=self.settings.mmr_lambda if mmr else None,
            fetch_factor=self.settings.mmr_fetch_factor,
            overfetch=self.settings.filter_overfetch,
        )
        return [SearchHit(record=self._parse(kind, i, doc), similarity=sim) for i, doc, sim in found]

    def iter_records(self, kind: Kind) -> Iterator[AnyRecord]:
        """Every record of ``kind``, page by page (export, prune)."""
        self.backend.refresh()
        for name in self._names(kind):
            collection = self.backend.collection(name, create=False)
            if collection is not None:
                yield from iter_collection(collection, functools.partial(self._parse, kind))

    def stats(self) -> MemoryStats:
        self.backend.refresh()
        rows = []
        for kind in KINDS:
            for name in self._names(kind):
                collection = self.backend.collection(name, create=False)
                rows.append(CollectionStats(name=name, count=collection.count() if collection else 0))
        return MemoryStats(
            location=self.backend.location,
            shared=self.backend.shared,
            schema_version=SCHEMA_VERSION,
            collections=rows,
        )

    # --- forgetting -------------------------------------------------------------------------------

    def prune(self, max_records: int | None = None) -> PruneReport:
        """Trim each collection to ``max_records``, dropping the least useful (then oldest) records."""
        bound = max_records or self.settings.max_records
        if bound < 1:
            raise InvalidQueryError("max_records must be at least 1")
        removed: dict[str, int] = {}
        with self.backend.writing():
            for kind in KINDS:
                for name in self._names(kind):
                    collection = self.backend.collection(name, create=False)
                    if collection is not None:
                        gone = prune_collection(collection, functools.partial(self._parse, kind), bound)
                        if gone:
                            removed[name] = gone
        return PruneReport(removed=removed)
