"""Named errors of the vector memory, so the CLI and agents get one clear line instead of a traceback."""

from __future__ import annotations

from triloop.errors import TriloopError


class MemoryStoreError(TriloopError):
    """Base of every memory error (not ``MemoryError``: that name is Python's out-of-memory error)."""


class EmbeddingError(MemoryStoreError):
    """The embedding model could not be loaded or was given bad input."""


class MemoryUnavailableError(MemoryStoreError):
    """The store could not be opened: bad directory, unreachable Chroma server, lock timeout."""


class ForeignCollectionError(MemoryStoreError):
    """A collection with a memory name exists but was not made by triloop (other embedder or no schema)."""


class SchemaVersionError(MemoryStoreError):
    """A collection or record was written with another schema version than this code reads."""


class InvalidQueryError(MemoryStoreError):
    """An empty or malformed query, filter or kind."""


class RecordTooLargeError(MemoryStoreError):
    """A record exceeds ``MemorySettings.max_record_chars``."""


class RecordNotFoundError(MemoryStoreError):
    """No record with that id or tool name."""


class ImportValidationError(MemoryStoreError):
    """An import file has bad lines; nothing was imported. ``problems`` lists ``(line_number, reason)``."""

    def __init__(self, path: str, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        shown = "; ".join(f"line {n}: {why}" for n, why in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{path}: {len(problems)} bad line(s), nothing imported: {shown}{more}")


class ChromaServerError(MemoryStoreError):
    """A ``chroma run`` server could not be started or did not become ready."""
