"""Choosing and building a backend. Auto-selection never falls back silently to ``local``."""

from __future__ import annotations

from pydantic import BaseModel

from triloop.tools.sandbox.base import Sandbox
from triloop.tools.sandbox.errors import BackendUnavailableError, UnknownBackendError
from triloop.tools.sandbox.settings import SandboxSettings

BACKENDS = ("docker", "bwrap", "local")


class BackendChoice(BaseModel):
    """The backend ``auto`` picked (or that was requested) and why."""

    backend: str
    reason: str


def _docker_problem(settings: SandboxSettings) -> str | None:
    from triloop.tools.sandbox.docker_backend import connect, docker_host

    try:
        client = connect(settings, timeout=3.0)
    except BackendUnavailableError as exc:
        return str(exc)
    try:
        client.images.get(settings.image)
    except Exception:
        return f"engine at {docker_host(settings)} answers but image {settings.image} is missing"
    finally:
        client.close()
    return None


def select_backend(settings: SandboxSettings | None = None, backend: str | None = None) -> BackendChoice:
    """Docker if an engine answers and has the image, else bwrap if installed, else refuse."""
    settings = settings or SandboxSettings()
    name = backend or settings.backend
    if name not in ("auto", *BACKENDS):
        raise UnknownBackendError(f"unknown sandbox backend {name!r}; choose auto, docker, bwrap or local")
    if name == "local":
        if not settings.unsafe_local:
            raise BackendUnavailableError(
                "the local backend has no file or network isolation; opt in with --unsafe-local"
            )
        return BackendChoice(
            backend="local", reason="requested explicitly with --unsafe-local (NO isolation)"
        )
    from triloop.tools.sandbox.bwrap import bwrap_unavailable_reason
    from triloop.tools.sandbox.docker_backend import docker_host

    if name == "docker":
        problem = _docker_problem(settings)
        if problem:
            raise BackendUnavailableError(f"docker backend unavailable: {problem}")
        return BackendChoice(backend="docker", reason=f"requested; engine answers at {docker_host(settings)}")
    if name == "bwrap":
        problem = bwrap_unavailable_reason()
        if problem:
            raise BackendUnavailableError(f"bwrap backend unavailable: {problem}")
        return BackendChoice(backend="bwrap", reason="requested; bubblewrap is installed")
    docker_problem = _docker_problem(settings)
    if docker_problem is None:
        return BackendChoice(
            backend="docker",
            reason=f"a Docker engine answers at {docker_host(settings)} with {settings.image}",
        )
    bwrap_problem = bwrap_unavailable_reason()
    if bwrap_problem is None:
        return BackendChoice(
            backend="bwrap", reason=f"docker not usable ({docker_problem}); bubblewrap is installed"
        )
    raise BackendUnavailableError(
        f"no safe sandbox backend: docker: {docker_problem}; bwrap: {bwrap_problem}. Install bubblewrap "
        "(apt-get install bubblewrap) or run `sudo bash scripts/docker-up.sh`; --unsafe-local runs code "
        "WITHOUT isolation"
    )


def create_sandbox(settings: SandboxSettings | None = None, backend: str = "auto") -> Sandbox:
    """Build the sandbox ``backend`` names (``auto``: see :func:`select_backend`)."""
    settings = settings or SandboxSettings()
    chosen = select_backend(settings, None if backend == "auto" and settings.backend != "auto" else backend)
    if chosen.backend == "docker":
        from triloop.tools.sandbox.docker_backend import DockerSandbox

        return DockerSandbox(settings)
    if chosen.backend == "bwrap":
        from triloop.tools.sandbox.bwrap import BwrapSandbox

        return BwrapSandbox(settings)
    from triloop.tools.sandbox.local import LocalSandbox

    return LocalSandbox(settings)
