"""Helpers shared by the sandbox tests (plain functions, no fakes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from triloop.tools.sandbox.base import Sandbox
from triloop.tools.sandbox.errors import SandboxError
from triloop.tools.sandbox.settings import SandboxSettings

CANARY = "canary-7f3a9d"


def sandbox_settings(**changes: object) -> SandboxSettings:
    values: dict[str, object] = {"timeout_s": 10, "pool_size": 0, **changes}
    return SandboxSettings(**values)  # type: ignore[arg-type]


def host_processes_with(token: str) -> list[int]:
    """Host PIDs whose command line contains ``token`` (sandboxed processes are visible from the host)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if token.encode() in cmdline and int(pid) != os.getpid():
            found.append(int(pid))
    return found


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and the sandbox backend is unavailable: {reason}")
    print(f"SKIP reason: {reason}")
    pytest.skip(reason)


def make_backend(name: str, settings: SandboxSettings | None = None) -> Sandbox:
    settings = settings or sandbox_settings()
    try:
        if name == "docker":
            from triloop.tools.sandbox.docker_backend import DockerSandbox

            return DockerSandbox(settings)
        from triloop.tools.sandbox.bwrap import BwrapSandbox

        return BwrapSandbox(settings)
    except SandboxError as exc:
        _unavailable(str(exc))
        raise
