"""Helpers shared by the sandbox tests (plain functions, no fakes)."""

from __future__ import annotations

import os
from pathlib import Path

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
