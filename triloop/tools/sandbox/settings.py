"""Sandbox settings: one pydantic model shared by every backend, the pool, the CLI and the tools.

It is a plain ``BaseModel`` (not ``BaseSettings``) so the main :class:`triloop.config.Settings` can
nest it as ``sandbox: SandboxSettings`` and fill it from ``TRILOOP_SANDBOX__*`` environment variables.
Defaults are safe: no network, small limits, auto-selection that never falls back to ``local``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

BackendName = Literal["auto", "docker", "bwrap", "local"]

#: Where scripts/docker-up.sh puts the private engine's socket; used when DOCKER_HOST is unset.
DEFAULT_DOCKER_SOCKET = "/run/triloop-docker.sock"


class Limits(BaseModel):
    """Resource limits of one execution. ``None`` fields fall back to :class:`SandboxSettings`."""

    memory_mb: int | None = Field(None, gt=0)
    cpus: float | None = Field(None, gt=0)
    pids: int | None = Field(None, gt=0)
    file_size_mb: int | None = Field(None, gt=0)
    open_files: int | None = Field(None, gt=0)


class SandboxSettings(BaseModel):
    """How sandboxes are built. Env: ``TRILOOP_SANDBOX__<FIELD>`` once nested in the main settings."""

    backend: BackendName = "auto"
    image: str = Field("triloop-sandbox:py3", description="docker image; never pulled")
    docker_host: str | None = Field(
        None, description=f"engine URL; default $DOCKER_HOST, then unix://{DEFAULT_DOCKER_SOCKET}"
    )
    timeout_s: float = Field(30.0, gt=0, description="wall-clock limit of one execution")
    memory_mb: int = Field(512, gt=0, description="memory (docker: cgroup; bwrap/local: address space)")
    cpus: float = Field(1.0, gt=0, description="docker CPU quota; bwrap/local: CPU seconds = cpus*timeout")
    pids: int = Field(128, gt=0, description="max processes/threads")
    file_size_mb: int = Field(64, gt=0, description="largest file a program may write")
    open_files: int = Field(256, gt=0)
    tmp_size_mb: int = Field(64, gt=0, description="size of the private /tmp")
    output_limit_bytes: int = Field(64_000, gt=0, description="stdout and stderr are each cut to this")
    pool_size: int = Field(2, ge=0, description="warm sandboxes kept ready (0 = no pool)")
    pool_idle_s: float = Field(300.0, gt=0, description="an idle pool shrinks to zero after this")
    python: str = Field("python3", description="interpreter inside the sandbox")
    unsafe_local: bool = Field(False, description="allow the unisolated local backend (explicit opt-in)")

    def limits(self, override: Limits | None = None) -> Limits:
        """Effective limits: ``override``'s set fields over these settings."""
        base = Limits(
            memory_mb=self.memory_mb,
            cpus=self.cpus,
            pids=self.pids,
            file_size_mb=self.file_size_mb,
            open_files=self.open_files,
        )
        if override is None:
            return base
        return base.model_copy(update=override.model_dump(exclude_none=True))
