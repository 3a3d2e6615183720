"""``triloop memory stats | search | export | import | prune | serve``.

chromadb and the embedding model are imported inside the commands so ``triloop --help`` stays fast.
Errors are :class:`~triloop.errors.TriloopError` subclasses: ``triloop.cli:main`` prints one red line
and exits non-zero.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from triloop.memory.settings import MemorySettings
    from triloop.memory.store import MemoryStore

app = typer.Typer(no_args_is_help=True, help="The vector memory: tool docs, experiences, reusable functions.")

DirOpt = Annotated[
    Path | None, typer.Option("--dir", help="memory directory (default: settings / TRILOOP_MEMORY_DIR)")
]
ServerOpt = Annotated[
    str | None, typer.Option("--server", help="http://host:port of a shared `chroma run` server")
]


def _settings(directory: Path | None, server: str | None) -> MemorySettings:
    from triloop.config import load_settings
    from triloop.memory.settings import MemorySettings

    base = getattr(load_settings(), "memory", None) or MemorySettings()
    changes: dict[str, object] = {}
    if directory is not None:
        changes.update(dir=directory, server_url=None)
    if server is not None:
        changes["server_url"] = server
    return base.model_copy(update=changes)


def _store(directory: Path | None, server: str | None) -> MemoryStore:
    from triloop.memory.store import MemoryStore

    return MemoryStore(_settings(directory, server))


@app.command()
def stats(directory: DirOpt = None, server: ServerOpt = None) -> None:
    """Record counts per collection."""
    from rich.console import Console
    from rich.table import Table

    with _store(directory, server) as store:
        report = store.stats()
    table = Table(title=f"memory at {report.location} (schema v{report.schema_version})")
    table.add_column("collection")
    table.add_column("records", justify="right")
    for row in report.collections:
        table.add_row(row.name, str(row.count))
    Console().print(table)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="what to look for")],
    kind: Annotated[
        str | None,
        typer.Option(help="tool_docs | experiences | toolset, or a task kind: coding | general | ml"),
    ] = None,
    k: Annotated[int, typer.Option("-k", help="results per collection")] = 5,
    directory: DirOpt = None,
    server: ServerOpt = None,
) -> None:
    """Semantic search (MMR-diversified) in one collection or all of them."""
    from triloop.kinds.names import current_name
    from triloop.memory.errors import InvalidQueryError
    from triloop.memory.records import KINDS, TASK_KINDS

    if not query.strip():
        raise InvalidQueryError("the query is empty")
    kind = current_name(kind) if kind is not None else None
    if kind is not None and kind not in KINDS and kind not in TASK_KINDS:
        raise InvalidQueryError(f"unknown kind {kind!r}; use one of {', '.join(KINDS + TASK_KINDS)}")
    targets = (
        [("experiences", kind)]
        if kind in TASK_KINDS
        else [(kind, None)]
        if kind
        else [(x, None) for x in KINDS]
    )
    with _store(directory, server) as store:
        for collection, task_kind in targets:
            hits = store.search(collection, query, k, task_kind=task_kind)  # type: ignore[arg-type]
            typer.secho(
                f"== {collection}{'/' + task_kind if task_kind else ''}: {len(hits)} hit(s)", bold=True
            )
            for hit in hits:
                typer.echo(f"[{hit.similarity:.3f}] {hit.record.id}\n{hit.record.render()}")


@app.command("export")
def export_cmd(file: Path, directory: DirOpt = None, server: ServerOpt = None) -> None:
    """Write every record to FILE as JSONL (one record a line, with its `kind`)."""
    from triloop.memory.transfer import export_jsonl

    with _store(directory, server) as store:
        report = export_jsonl(store, file)
    typer.echo(f"exported {report.total} record(s) to {file}: {report.counts}")


@app.command("import")
def import_cmd(file: Path, directory: DirOpt = None, server: ServerOpt = None) -> None:
    """Validate every line of FILE, then add all records (nothing is imported if any line is bad)."""
    from triloop.memory.errors import MemoryStoreError
    from triloop.memory.transfer import import_jsonl

    if not file.is_file():
        raise MemoryStoreError(f"import file {file} does not exist")
    with _store(directory, server) as store:
        report = import_jsonl(store, file)
    typer.echo(f"imported {report.total} record(s) from {file}: {report.counts}")


@app.command()
def prune(
    max_records: Annotated[int | None, typer.Option(help="per collection (default: settings)")] = None,
    directory: DirOpt = None,
    server: ServerOpt = None,
) -> None:
    """Trim each collection to its size bound, forgetting the least useful records first."""
    with _store(directory, server) as store:
        report = store.prune(max_records)
    total = sum(report.removed.values())
    typer.echo(f"pruned {total} record(s)" + (f": {report.removed}" if total else ""))


@app.command()
def serve(
    path: Annotated[
        Path | None, typer.Option(help="data directory of the server (default: memory dir)")
    ] = None,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Run a shared Chroma server (`chroma run`) for several workers; set memory.server_url to its URL."""
    import signal
    import time

    from triloop.memory.server import ChromaServer

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # stop the chroma child on `kill` too, not only on Ctrl-C

    with ChromaServer(path or _settings(None, None).dir, host=host, port=port) as server:
        typer.echo(f"memory server on {server.url} (Ctrl-C to stop); TRILOOP_MEMORY__SERVER_URL={server.url}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
