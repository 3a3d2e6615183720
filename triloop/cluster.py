"""Spreading independent items of work (bench pairs, batch rows) over a Ray cluster, or doing them here.

Each item is one Ray task with declared resources. Workers only *return* results; the calling process
alone writes them, as they finish. So a task that Ray retries after its worker died still ends as one
result, and an item whose retries are used up ends as an error result: every item ends exactly once.

``--ray`` takes ``local`` (start a cluster in this process, for one machine), ``auto`` (join the cluster
that ``ray start`` made on this machine) or an address (``ray://head:10001`` or ``head:6379``).
Workers see this process's ``TRILOOP_*`` settings and ``DOCKER_HOST``, and import the same triloop.
"""

from __future__ import annotations

import atexit
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from triloop.errors import TriloopError

Item = TypeVar("Item")
Result = TypeVar("Result")
Part = TypeVar("Part")

#: Environment a worker needs to behave like this process: triloop's settings and the sandbox engine.
FORWARDED_ENV = ("DOCKER_HOST",)


class ClusterError(TriloopError):
    """The Ray cluster cannot be reached or started, or Ray is not installed."""


class RayOptions(BaseModel):
    """Where and how items run on Ray."""

    address: str = Field(description="local | auto | ray://HOST:PORT | HOST:PORT")
    num_cpus: float = Field(1.0, gt=0, description="CPUs each item declares")
    max_retries: int = Field(3, ge=0, description="retries of an item whose worker died")
    object_store_mb: int = Field(256, ge=64, description="object store of a cluster started here (local)")
    cpus: int | None = Field(None, ge=1, description="CPUs of a cluster started here (local); default: all")


class WorkerParts:
    """What a worker process builds once and keeps for every item it runs (a model client, a sandbox,
    a compiled graph): keyed by the setup that built them, closed when the worker exits."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}
        self._stack = ExitStack()
        atexit.register(self._stack.close)

    def get(self, key: str, build: Callable[[ExitStack], Part]) -> Part:
        if key not in self._built:
            with ExitStack() as parts:  # a build that fails half-way closes what it had opened
                self._built[key] = build(parts)
                self._stack.push(parts.pop_all())
        return self._built[key]


def setup_key(setup: BaseModel, settings: Any) -> str:
    """What identifies a setup (settings and run options) across processes: its JSON (secrets masked)."""
    return setup.model_dump_json(exclude={"settings"}) + settings.model_dump_json()


def worker_env() -> dict[str, str]:
    """The environment variables workers get: settings, the sandbox engine, this triloop on the path."""
    env = {k: v for k, v in os.environ.items() if k.startswith("TRILOOP_") or k in FORWARDED_ENV}
    here = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)
    return env


@contextmanager
def on_ray(options: RayOptions | None) -> Iterator[None]:
    """Inside, this process has joined (or started) the cluster ``options`` names, and leaves it after;
    with ``None`` (no ``--ray``) nothing happens."""
    if options is None:
        yield
        return
    try:
        import ray
    except ImportError as exc:
        raise ClusterError(f"--ray needs the scale extra: pip install 'triloop[scale]' ({exc})") from exc
    runtime_env = {"env_vars": worker_env()}
    kwargs: dict[str, Any] = {"runtime_env": runtime_env, "log_to_driver": False, "configure_logging": False}
    if options.address == "local":
        kwargs.update(
            address="local",
            include_dashboard=False,
            object_store_memory=options.object_store_mb << 20,
            num_cpus=options.cpus,
        )
    else:
        kwargs["address"] = options.address
        _check_reachable(options.address)
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Ray cluster at {options.address!r}: {exc}") from exc
    try:
        yield
    finally:
        ray.shutdown()


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on a head that does not answer: Ray itself retries a dead address for minutes."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"--ray takes local, auto, HOST:PORT or ray://HOST:PORT, not {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ClusterError(f"cannot reach the Ray cluster at {address!r}: {exc}") from None


def spread(
    work: Callable[[Item], Result],
    items: Sequence[Item],
    options: RayOptions,
    on_failure: Callable[[Item, str], Result],
) -> Iterator[Result]:
    """``work(item)`` for every item, as each finishes on the cluster (any order). ``work`` must
    be a module-level function (workers import it) that turns its own failures into results. An item
    that still fails becomes ``on_failure(item, reason)``: the exception ``work`` raised on the worker
    (it could not build its parts: no sandbox, a database it cannot reach), or ``worker lost: ...`` when
    its worker died more often than ``max_retries``."""
    import ray
    from ray.exceptions import RayError, RayTaskError

    remote = ray.remote(work).options(  # type: ignore[attr-defined]
        num_cpus=options.num_cpus, max_retries=options.max_retries, retry_exceptions=False
    )
    pending = {remote.remote(item): item for item in items}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            item = pending.pop(ref)
            try:
                result = ray.get(ref)
            except RayTaskError as exc:  # raised by ``work`` itself: say what, not where
                cause = exc.cause if exc.cause is not None else exc
                result = on_failure(item, f"{type(cause).__name__}: {str(cause)[:500]}")
            except RayError as exc:
                result = on_failure(
                    item, f"worker lost: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                )
            yield result
