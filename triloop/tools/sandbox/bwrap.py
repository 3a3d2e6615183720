"""bubblewrap backend: unprivileged namespaces, no daemon, ~10 ms to start.

Isolation: new user/pid/net/ipc/uts(/cgroup) namespaces, the system mounted read-only (only /usr and
the few /etc files the dynamic loader and Python need, so host secrets in /etc, /root, /home are not
visible), a private size-limited /tmp, the workspace bound read-write at /workspace, a cleared
environment, ``--die-with-parent`` and ``--new-session`` (no TIOCSTI), ``prlimit`` limits. When the
host process is root, bwrap itself runs as uid/gid 65534 via ``setpriv``, so even a namespace escape
lands as nobody, not root. Killing bwrap kills its PID namespace, so setsid() grandchildren die too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from triloop.tools.sandbox.base import SANDBOX_WORKDIR
from triloop.tools.sandbox.errors import BackendUnavailableError
from triloop.tools.sandbox.settings import Limits, SandboxSettings
from triloop.tools.sandbox.subproc import SubprocessSandbox, prlimit_prefix

NOBODY = 65534
#: /etc entries needed to run programs; everything else in /etc stays invisible.
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/python3",
    "/etc/python3.11",
    "/etc/python3.12",
    "/etc/mime.types",
)
TOP_DIRS = ("bin", "sbin", "lib", "lib64", "lib32", "libx32")


def bwrap_unavailable_reason() -> str | None:
    """None when bwrap can run here, else why not.

    Installed is not enough: some hosts forbid unprivileged user namespaces (sysctl, AppArmor), so a
    real ``true`` is run in the same sandbox the backend builds (~10 ms).
    """
    for tool in ("bwrap", "prlimit") + (("setpriv",) if os.geteuid() == 0 else ()):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install bubblewrap util-linux)"
    probe = BwrapSandbox.__new__(BwrapSandbox)
    probe.settings = SandboxSettings()
    with tempfile.TemporaryDirectory(prefix="triloop-bwrap-probe-") as ws:
        os.chmod(ws, 0o777)
        argv = probe._wrap(["true"], Path(ws), probe.settings.limits(), 10.0)
        try:
            done = subprocess.run(argv, capture_output=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap could not run: {exc}"
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip()[-300:]
        return (
            f"bwrap cannot create its namespaces here ({why}); unprivileged user namespaces may be disabled"
        )
    return None


class BwrapSandbox(SubprocessSandbox):
    name = "bwrap"

    def __init__(self, settings: SandboxSettings | None = None) -> None:
        super().__init__(settings)
        reason = bwrap_unavailable_reason()
        if reason:
            raise BackendUnavailableError(f"bwrap backend unavailable: {reason}")

    def _wrap(self, argv: list[str], workspace: Path, limits: Limits, timeout: float) -> list[str]:
        cmd: list[str] = []
        if os.geteuid() == 0:
            cmd += ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
        cmd += [
            "bwrap",
            "--unshare-user",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        for top in TOP_DIRS:
            path = Path("/") / top
            if path.is_symlink():
                cmd += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                cmd += ["--ro-bind", str(path), str(path)]
        for etc in ETC_FILES:
            cmd += ["--ro-bind-try", etc, etc]
        cmd += ["--proc", "/proc", "--dev", "/dev"]
        cmd += ["--size", str(self.settings.tmp_size_mb * 1024 * 1024), "--tmpfs", "/tmp"]
        cmd += ["--bind", str(workspace), SANDBOX_WORKDIR, "--chdir", SANDBOX_WORKDIR]
        cmd += ["--remount-ro", "/"]  # the sandbox's own root tmpfs: nothing outside /tmp, /workspace
        cmd += ["--", *prlimit_prefix(limits, timeout), *argv]
        return cmd
