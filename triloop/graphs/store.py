"""Where runs and chats live: their checkpoints and each run's event trace.

Two stores behind one interface, chosen by ``[checkpoint] url`` (``TRILOOP_CHECKPOINT__URL``):

- :class:`LocalRunStore` (the default, no server): one sqlite checkpoint file and one JSONL trace per
  run under the data directory; one machine.
- :class:`PostgresRunStore` (``postgresql://...``): checkpoints by ``langgraph-checkpoint-postgres``
  over a connection pool and the traces in one table, so every process pointed at the database lists,
  resumes and reports the same runs and continues the same chats. A run killed on one machine resumes on
  another; two ``triloop serve`` processes behind one address share their chats.

Reports are always written locally (``report(run_id)``): they are derived files, rebuilt on demand.
"""

from __future__ import annotations

import json
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr

from triloop.graphs.state import GraphError

TraceWriter = Callable[[dict[str, Any]], None]

#: Serialises the first ``setup()`` of several processes (it runs the saver's migrations).
_SETUP_LOCK_KEY = 0x7472696C6F6F70  # "triloop"

_TRACE_TABLE = """CREATE TABLE IF NOT EXISTS triloop_trace_events (
    run_id TEXT NOT NULL,
    seq BIGSERIAL,
    event JSONB NOT NULL,
    PRIMARY KEY (run_id, seq)
)"""


class CheckpointSettings(BaseModel):
    """Where run and chat checkpoints go: ``url=None`` keeps them in a local sqlite file."""

    url: SecretStr | None = Field(
        None, description="postgresql://user:pass@host:port/db; unset = local sqlite"
    )
    pool_size: int = Field(8, ge=1, description="connections each process keeps to PostgreSQL")
    connect_timeout_s: float = Field(10.0, gt=0)


class RunStoreError(GraphError):
    """The run store cannot be opened or used (database unreachable, extra not installed)."""


class TraceNotFoundError(GraphError):
    """There is no trace for the run id."""


def parse_trace_lines(text: str) -> list[dict[str, Any]]:
    """The events of a JSONL trace; a truncated line (a killed process) is skipped."""
    events = []
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


class RunStore(ABC):
    """Checkpoints (``saver``, a LangGraph checkpointer) and traces of runs; reports under ``root``."""

    saver: Any
    location: str
    #: What the store's driver raises when the store fails mid-run (see :meth:`guard`).
    errors: tuple[type[BaseException], ...] = ()

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn the store's own failures (database gone, disk full) into :class:`RunStoreError`."""
        try:
            yield
        except self.errors as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RunStoreError(f"the run store at {self.location} failed: {first}") from exc

    def report(self, run_id: str) -> Path:
        return self.root / "reports" / f"{run_id}.html"

    @abstractmethod
    def trace_location(self, run_id: str) -> str:
        """Where the run's trace is, for people."""

    @abstractmethod
    def tracer(self, run_id: str) -> AbstractContextManager[TraceWriter]:
        """A function that appends one event to the run's trace (held for one stream)."""

    @abstractmethod
    def events(self, run_id: str) -> list[dict[str, Any]]:
        """The run's trace, oldest first; :class:`TraceNotFoundError` when there is none."""

    @abstractmethod
    def close(self) -> None:
        """Release the checkpointer's connections."""

    @abstractmethod
    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Rows of a read-only query on the checkpoint tables."""

    def recent_threads(self, chats: bool, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first, chats (``chat-...``) or runs (the rest): each one's ``thread_id``, last-update
        time (``updated``) and the state ``values`` of its last checkpoint, read without building its
        graph. One query over the thread ids (checkpoint ids are time-ordered), then each thread's last
        checkpoint."""
        sql = (
            "SELECT thread_id, max(checkpoint_id) FROM checkpoints WHERE checkpoint_ns = '' AND "
            f"substr(thread_id, 1, 5) {'=' if chats else '<>'} 'chat-' "
            f"GROUP BY thread_id ORDER BY 2 DESC LIMIT {int(limit)}"
        )
        with self.guard():
            ids = [row[0] for row in self._query(sql, ())]
            found = [(tid, self.saver.get_tuple(_latest(tid))) for tid in ids]
        return [
            {
                "thread_id": tid,
                "updated": item.checkpoint.get("ts") if item else None,
                "values": dict(item.checkpoint.get("channel_values", {})) if item else {},
            }
            for tid, item in found
        ]

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalRunStore(RunStore):
    """``root/checkpoints.sqlite`` and ``root/traces/RUN_ID.jsonl``: the default, for one machine."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        from langgraph.checkpoint.sqlite import SqliteSaver

        self.root.mkdir(parents=True, exist_ok=True)
        self.checkpoints = self.root / "checkpoints.sqlite"
        self.location = str(self.checkpoints)
        self.errors = (sqlite3.Error,)
        # several processes (Ray workers on one machine) may write: wait for a lock, do not fail at once
        self._conn = sqlite3.connect(str(self.checkpoints), check_same_thread=False, timeout=30.0)
        self.saver = SqliteSaver(self._conn)

    def trace(self, run_id: str) -> Path:
        return self.root / "traces" / f"{run_id}.jsonl"

    def trace_location(self, run_id: str) -> str:
        return str(self.trace(run_id))

    @contextmanager
    def tracer(self, run_id: str) -> Iterator[TraceWriter]:
        path = self.trace(run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:

            def write(event: dict[str, Any]) -> None:
                fh.write(json.dumps(event, default=str) + "\n")
                fh.flush()

            yield write

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        self.saver.setup()  # the tables exist once anything was checkpointed; a new store has none yet
        with self.saver.lock:
            return list(self._conn.execute(sql, params).fetchall())

    def events(self, run_id: str) -> list[dict[str, Any]]:
        path = self.trace(run_id)
        if not path.is_file():
            raise TraceNotFoundError(f"no trace for run {run_id!r} at {path}")
        return parse_trace_lines(path.read_text(encoding="utf-8"))

    def close(self) -> None:
        self._conn.close()


class PostgresRunStore(RunStore):
    """Checkpoints and traces in one PostgreSQL database; tables are made at first use."""

    def __init__(self, settings: CheckpointSettings, root: Path) -> None:
        super().__init__(root)
        try:
            import psycopg
            import psycopg_pool
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise RunStoreError(
                f"a PostgreSQL checkpoint URL needs the scale extra: pip install 'triloop[scale]' ({exc})"
            ) from exc
        assert settings.url is not None
        url = settings.url.get_secret_value()
        self.location = _redact(url)
        self.errors = (psycopg.Error, psycopg_pool.PoolTimeout)
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=settings.pool_size,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
            timeout=settings.connect_timeout_s,
            check=ConnectionPool.check_connection,  # a database restart leaves dead connections behind
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=settings.connect_timeout_s)
            self.saver = PostgresSaver(self._pool)  # type: ignore[arg-type]
            self._setup()
        except Exception as exc:
            self._pool.close()
            raise RunStoreError(f"cannot open the run store at {self.location}: {exc}") from exc

    def _setup(self) -> None:
        """The saver's migrations and the trace table, once per database even with racing processes."""
        # Polled, not a blocking pg_advisory_lock: the migrations build indexes CONCURRENTLY, which wait
        # for every open statement on the database, a blocked lock request included (a deadlock).
        with self._pool.connection() as conn:
            deadline = time.monotonic() + 120
            while not conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (_SETUP_LOCK_KEY,)).fetchone()[
                "ok"
            ]:
                if time.monotonic() > deadline:
                    raise RunStoreError("another process has held the run store's setup lock for 120 s")
                time.sleep(0.1)
            try:
                type(self.saver)(conn).setup()  # on this connection: the pool may have no second one
                conn.execute(_TRACE_TABLE)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK_KEY,))

    def trace_location(self, run_id: str) -> str:
        return f"{self.location} (run {run_id})"

    @contextmanager
    def tracer(self, run_id: str) -> Iterator[TraceWriter]:
        def write(event: dict[str, Any]) -> None:
            with self._pool.connection() as conn:
                conn.execute(
                    "INSERT INTO triloop_trace_events (run_id, event) VALUES (%s, %s)",
                    (run_id, json.dumps(event, default=str)),
                )

        yield write

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._pool.connection() as conn:
            return [tuple(row.values()) for row in conn.execute(sql, params).fetchall()]

    def events(self, run_id: str) -> list[dict[str, Any]]:
        with self.guard(), self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT event FROM triloop_trace_events WHERE run_id = %s ORDER BY seq", (run_id,)
            ).fetchall()
        if not rows:
            raise TraceNotFoundError(f"no trace for run {run_id!r} in {self.location}")
        return [row["event"] for row in rows]

    def close(self) -> None:
        self._pool.close()


def _latest(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def open_run_store(settings: CheckpointSettings, root: Path) -> RunStore:
    """The store the settings name: PostgreSQL when a URL is set, else local files under ``root``."""
    if settings.url is None:
        return LocalRunStore(root)
    scheme = settings.url.get_secret_value().split(":", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        raise RunStoreError(f"checkpoint url must start with postgresql:// (got {scheme}://...)")
    return PostgresRunStore(settings, root)
