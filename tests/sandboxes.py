"""The REAL sandbox for tests: the best backend that works here (docker, else bwrap).

Without one a test is skipped with the reason, except under CI, where a missing sandbox is a failure
(CI installs dockerd, so a skip there would hide a broken install step).
"""

from __future__ import annotations

import os

import pytest

from triloop.tools.sandbox.base import Sandbox


def real_sandbox(backend: str = "auto", pool_size: int = 0) -> Sandbox:
    """A real sandbox (not yet entered); skips, or fails when CI is set, if no backend works."""
    from triloop.tools.sandbox.errors import BackendUnavailableError
    from triloop.tools.sandbox.factory import create_sandbox
    from triloop.tools.sandbox.settings import SandboxSettings

    try:
        return create_sandbox(SandboxSettings(pool_size=pool_size), backend=backend)
    except BackendUnavailableError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and no sandbox backend works: {exc}")
        pytest.skip(f"no sandbox backend ({backend}): {exc}")
