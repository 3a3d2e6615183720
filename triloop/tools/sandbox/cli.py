"""``triloop sandbox run|info``: run a file in a fresh sandbox, or show which backend would be used.

Heavy modules (docker SDK) are imported inside the commands so ``triloop --help`` stays fast.
Errors are :class:`~triloop.errors.TriloopError` subclasses; ``triloop.cli:main`` prints one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)

#: Exit code when the program was stopped by the wall-clock timeout (as coreutils ``timeout``).
TIMEOUT_EXIT = 124


def _settings(backend: str | None, timeout: float | None, memory: int | None, unsafe_local: bool):  # type: ignore[no-untyped-def]
    from triloop.config import load_settings
    from triloop.tools.sandbox.settings import SandboxSettings

    base = getattr(load_settings(), "sandbox", None) or SandboxSettings()
    changes: dict[str, object] = {"pool_size": 0}
    if backend is not None:
        changes["backend"] = backend
    if timeout is not None:
        changes["timeout_s"] = timeout
    if memory is not None:
        changes["memory_mb"] = memory
    if unsafe_local:
        changes["unsafe_local"] = True
    return base.model_copy(update=changes)


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="Python file to run")],
    backend: Annotated[str | None, typer.Option(help="auto, docker, bwrap or local")] = None,
    timeout: Annotated[float | None, typer.Option(help="wall-clock limit in seconds", min=0.001)] = None,
    memory: Annotated[int | None, typer.Option(help="memory limit in MB", min=1)] = None,
    unsafe_local: Annotated[bool, typer.Option("--unsafe-local", help="allow the local backend")] = False,
) -> None:
    """Run FILE in a fresh sandbox; print stdout, stderr and a status line; exit with its code."""
    import sys

    from triloop.tools.sandbox.errors import SandboxInputError
    from triloop.tools.sandbox.factory import create_sandbox

    if not file.is_file():
        raise SandboxInputError(f"no such file: {file}")
    try:
        code = file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise SandboxInputError(f"cannot read {file}: {exc}") from None
    settings = _settings(backend, timeout, memory, unsafe_local)
    with create_sandbox(settings, backend=settings.backend) as sandbox:
        result = sandbox.execute(code)
    sys.stdout.write(result.stdout)
    sys.stdout.flush()
    sys.stderr.write(result.stderr)
    typer.echo(f"[sandbox] {result.status_line()}", err=True)
    if result.timed_out:
        raise typer.Exit(TIMEOUT_EXIT)
    raise typer.Exit(result.exit_code if result.exit_code is not None else 1)


@app.command()
def info(
    backend: Annotated[str | None, typer.Option(help="check this backend instead of auto")] = None,
    unsafe_local: Annotated[bool, typer.Option("--unsafe-local")] = False,
) -> None:
    """Show the backend that would be used and why."""
    from triloop.tools.sandbox.factory import select_backend

    settings = _settings(backend, None, None, unsafe_local)
    choice = select_backend(settings, settings.backend)
    typer.echo(f"backend: {choice.backend}")
    typer.echo(f"reason:  {choice.reason}")
    limits = settings.limits()
    typer.echo(
        f"limits:  timeout={settings.timeout_s:g}s memory={limits.memory_mb}MB cpus={limits.cpus:g} "
        f"pids={limits.pids} file_size={limits.file_size_mb}MB output={settings.output_limit_bytes}B"
    )
    if choice.backend == "docker":
        typer.echo(f"image:   {settings.image}")
