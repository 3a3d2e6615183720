"""Named sandbox errors, so the CLI prints one clear line and agents get a readable message."""

from __future__ import annotations

from triloop.errors import TriloopError


class SandboxError(TriloopError):
    """Base of sandbox errors."""


class UnknownBackendError(SandboxError):
    """A backend name that is not docker, bwrap, local or auto."""

    exit_code = 2


class BackendUnavailableError(SandboxError):
    """The requested backend (or, for auto, every safe backend) cannot run here."""

    exit_code = 3


class SandboxInputError(SandboxError):
    """Bad arguments to ``execute`` (no code and no command, a file path escaping the workspace...)."""

    exit_code = 2


class SandboxStartError(SandboxError):
    """A sandbox could not be started (image missing, engine refused the container...)."""


class SessionError(SandboxError):
    """A persistent session's worker broke its protocol or could not be (re)started."""
