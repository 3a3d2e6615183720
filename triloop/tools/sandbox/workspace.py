"""The task workspace: the only host directory a sandbox may write to.

Files handed to ``execute`` are written here first (paths are checked so nothing lands outside it),
and a snapshot before/after the run tells the caller which files the program created or changed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from triloop.tools.sandbox.errors import SandboxInputError

#: Snapshot walks stop after this many entries, so a program that makes millions of files cannot
#: make the host-side diff slow.
MAX_SNAPSHOT_ENTRIES = 20_000

Snapshot = dict[str, tuple[int, int]]


def make_workspace(prefix: str = "triloop-ws-") -> Path:
    """A fresh empty directory that the sandbox user (uid 65534) can write to."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o777)  # the sandbox runs as nobody; the dir is private by its random name
    return path


def prepare_workspace(path: Path) -> Path:
    """Check a caller-supplied workspace and make it writable for the sandbox user (uid 65534).

    The sandbox user must be able to reach the directory (bwrap runs as nobody and binds it by path),
    so every parent needs the execute bit for others; we only chmod the workspace itself.
    """
    path = path.resolve()
    if not path.is_dir():
        raise SandboxInputError(f"workspace {path} is not a directory")
    for parent in path.parents:
        if not parent.stat().st_mode & 0o001:
            raise SandboxInputError(
                f"workspace {path} is not reachable by the sandbox user: {parent} lacks o+x "
                "(use triloop.tools.sandbox.workspace.make_workspace() or chmod o+x the parents)"
            )
    if path.stat().st_mode & 0o777 != 0o777:
        path.chmod(0o777)
    return path


def clear_workspace(path: Path) -> None:
    """Remove everything inside ``path`` (the directory itself stays)."""
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def remove_workspace(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write ``files`` (relative path -> content) under ``root``; reject paths that escape it."""
    for name, content in files.items():
        rel = PurePosixPath(name)
        if not name or rel.is_absolute() or ".." in rel.parts:
            raise SandboxInputError(f"file path {name!r} must be relative and stay inside the workspace")
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            raise SandboxInputError(f"file path {name!r} is a symlink in the workspace; refusing to write")
        data = content.encode() if isinstance(content, str) else content
        target.write_bytes(data)
        target.chmod(0o666)
    for parent in {(root / n).parent for n in files}:
        while parent != root and root in parent.parents:
            parent.chmod(0o777)
            parent = parent.parent


def snapshot(root: Path) -> Snapshot:
    """Relative path -> (size, mtime_ns) of regular files under ``root`` (symlinks not followed)."""
    result: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            result[os.path.relpath(full, root)] = (st.st_size, st.st_mtime_ns)
            if len(result) >= MAX_SNAPSHOT_ENTRIES:
                return result
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return result


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """Paths that are new or whose size/mtime differ."""
    return sorted(p for p, meta in after.items() if before.get(p) != meta)
