"""The Chroma connection: persistent or shared-server mode, collection checks, cross-process write safety.

Why the lock *and* the generation file: Chroma's ``PersistentClient`` keeps each collection's HNSW index
in process memory. A second process writing the same directory is invisible to the first one's queries,
and two processes flushing their own copies of the index lose each other's vectors. So, in persistent
mode, every write runs under an exclusive file lock and bumps a generation counter on disk; before any
operation a process compares the counter with the one it last saw and, if another process wrote since,
drops Chroma's cached system and reopens (milliseconds at small sizes; measured in the benchmark).

In shared mode (``server_url``) the Chroma server owns the index and serialises writes itself; several
workers on several machines share one memory and the server never loses a record. Read-modify-write
operations (merge, counters) are last-writer-wins between workers unless they share a host lock file
(``shared_lock_path``, for workers on one machine), which makes them exact again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from triloop.memory.embedding import EMBEDDING_NAME, MiniLMEmbeddingFunction
from triloop.memory.errors import (
    ForeignCollectionError,
    MemoryUnavailableError,
    SchemaVersionError,
)
from triloop.memory.records import LEGACY_TASK_KINDS, SCHEMA_VERSION, TASK_KINDS, Kind
from triloop.memory.settings import MemorySettings

PREFIX = "triloop."
LOCK_FILE = ".triloop-write.lock"
GENERATION_FILE = ".triloop-generation"


def physical_names(kind: Kind) -> list[str]:
    """Chroma collection names of a memory kind. Experiences get one collection per task kind, so a
    kind-filtered search is a plain nearest-neighbour query instead of a slow metadata-filtered one."""
    if kind == "experiences":
        return [f"{PREFIX}experiences.{tk}" for tk in (*TASK_KINDS, *LEGACY_TASK_KINDS)]
    return [f"{PREFIX}{kind}"]


class ChromaBackend:
    """Owns the Chroma client and collection handles; ``writing()`` is the cross-process critical section."""

    def __init__(self, settings: MemorySettings, embedding: MiniLMEmbeddingFunction) -> None:
        self.settings = settings
        self.embedding = embedding
        self.shared = settings.server_url is not None
        self._collections: dict[str, Any] = {}
        self._generation = -1
        self._lock: Any = None
        lock_path = settings.shared_lock_path if self.shared else settings.dir / LOCK_FILE
        if lock_path is not None:
            from filelock import FileLock

            try:
                lock_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise MemoryUnavailableError(f"cannot create directory {lock_path.parent}: {exc}") from exc
            self._lock = FileLock(str(lock_path), timeout=settings.lock_timeout_s)
        self._client = self._connect()
        self._generation = self._read_generation()

    @property
    def location(self) -> str:
        return self.settings.server_url if self.shared else str(self.settings.dir)

    def _connect(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if self.shared:
                url = urlparse(self.settings.server_url or "")
                if url.scheme not in ("http", "https") or not url.hostname:
                    raise MemoryUnavailableError(f"bad memory server URL {self.settings.server_url!r}")
                client = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 80),
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
                client.heartbeat()
                return client
            return chromadb.PersistentClient(path=str(self.settings.dir), settings=chroma_settings)
        except MemoryUnavailableError:
            raise
        except Exception as exc:
            raise MemoryUnavailableError(f"cannot open the memory at {self.location}: {exc}") from exc

    # --- cross-process consistency ----------------------------------------------------------------

    def _read_generation(self) -> int:
        if self.shared:
            return 0
        try:
            return int((self.settings.dir / GENERATION_FILE).read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _reopen(self) -> None:
        self._client.clear_system_cache()
        self._collections.clear()
        self._client = self._connect()

    def refresh(self) -> None:
        """Reopen if another process wrote since this one last looked (persistent mode only)."""
        if self.shared or self._read_generation() == self._generation:
            return
        with self._lock:
            self._reopen()
            self._generation = self._read_generation()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Exclusive section for a read-modify-write; other processes see the result afterwards."""
        if self._lock is None:  # shared mode without a host lock: the server serialises single writes
            yield
            return
        try:
            self._lock.acquire()
        except Exception as exc:
            raise MemoryUnavailableError(
                f"timed out waiting for the memory write lock {self._lock.lock_file}"
            ) from exc
        if self.shared:  # the server owns the index: nothing to reopen, no generation to bump
            try:
                yield
            finally:
                self._lock.release()
            return
        try:
            current = self._read_generation()
            if current != self._generation:
                self._reopen()
            yield
            self._generation = current + 1
            tmp = self.settings.dir / (GENERATION_FILE + ".tmp")
            tmp.write_text(str(self._generation))
            tmp.replace(self.settings.dir / GENERATION_FILE)
        finally:
            self._lock.release()

    def close(self) -> None:
        """Release Chroma's cached system so the directory can be reopened (or deleted) cleanly."""
        self._collections.clear()
        if not self.shared:
            self._client.clear_system_cache()

    # --- collections ------------------------------------------------------------------------------

    def collection(self, name: str, create: bool = True) -> Any | None:
        """A triloop collection handle, created on first use; refuses foreign or other-version ones."""
        if name in self._collections:
            return self._collections[name]
        try:
            existing = {c.name if hasattr(c, "name") else str(c) for c in self._client.list_collections()}
        except Exception as exc:
            raise MemoryUnavailableError(f"cannot list collections at {self.location}: {exc}") from exc
        if name in existing:
            collection = self._open_existing(name)
        elif not create:
            return None
        else:
            collection = self._create(name)
        self._collections[name] = collection
        return collection

    def _create(self, name: str) -> Any:
        metadata = {"triloop_schema": SCHEMA_VERSION, "triloop_embedding": EMBEDDING_NAME}
        try:
            return self._client.create_collection(
                name=name,
                embedding_function=self.embedding,
                metadata=metadata,
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:
            if "already exists" in str(exc).lower():  # another process created it first
                return self._open_existing(name)
            raise MemoryUnavailableError(f"cannot create collection {name}: {exc}") from exc

    def _open_existing(self, name: str) -> Any:
        try:
            collection = self._client.get_collection(name=name, embedding_function=self.embedding)
        except ValueError as exc:  # Chroma: persisted embedding function conflicts with ours
            raise ForeignCollectionError(f"collection {name} was made with another embedder: {exc}") from exc
        except Exception as exc:
            raise MemoryUnavailableError(f"cannot open collection {name}: {exc}") from exc
        self.check(collection)
        return collection

    @staticmethod
    def check(collection: Any) -> None:
        """Raise unless the collection carries triloop's schema marker, version and embedder."""
        meta = collection.metadata or {}
        if "triloop_schema" not in meta:
            raise ForeignCollectionError(
                f"collection {collection.name} was not made by triloop (no schema marker)"
            )
        if meta["triloop_schema"] != SCHEMA_VERSION:
            raise SchemaVersionError(
                f"collection {collection.name} has schema version {meta['triloop_schema']}, "
                f"this triloop reads version {SCHEMA_VERSION}"
            )
        ef_config = (collection.configuration_json or {}).get("embedding_function") or {}
        if ef_config.get("name") != EMBEDDING_NAME:
            raise ForeignCollectionError(
                f"collection {collection.name} uses embedder {ef_config.get('name')!r}, expected {EMBEDDING_NAME!r}"
            )
