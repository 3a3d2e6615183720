"""Repository bug-fix tasks (SWE-smith style) for ``triloop bench repos``.

A task is a small real pure-Python project, pinned as the sdist PyPI serves (by sha256, so the code a
model is judged on never drifts), plus one single-line mutation that tests of the project's own suite
catch. The mutation is stored as the exact original line and its replacement, so :func:`prepare` can
refuse to build a task whose line no longer matches instead of silently mutating the wrong code.
The data files are built by ``benchmarks/repos/build_tasks.py`` and hand-checked; see that script.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from triloop.errors import TriloopError, validation_problems

DATA_DIR = Path(__file__).parent / "data"
PROJECTS_FILE = DATA_DIR / "repo_projects.json"
TASKS_FILE = DATA_DIR / "repo_tasks.json"

Kind = Literal["operator", "boundary", "removed_line", "swapped_args", "constant"]


class RepoTaskError(TriloopError):
    """A task or project that cannot be built: bad data file, wrong hash, stale line, unsafe archive."""

    exit_code = 2


class RepoProject(BaseModel):
    """One pinned project. ``deselect`` lists tests that already fail on the original in the sandbox
    (e.g. they need a package it lacks), so no run ever counts them."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    sdist: str = Field(description="file name of the sdist on PyPI")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    root: str = Field(description="folder inside the unpacked sdist that holds the project")
    tests: list[str] = Field(
        min_length=1,
        description="pytest args selecting the suite, relative to root; options are single words, "
        "e.g. '--override-ini=pythonpath=src' for a src layout",
    )
    deselect: list[str] = Field(default_factory=list)
    python_lines: int = Field(ge=0, description="lines of the non-test .py files")
    test_lines: int = Field(ge=0)

    @model_validator(mode="after")
    def _single_word_options(self) -> RepoProject:
        # a selection of tests replaces the non-option words, so an option's value must not stand alone
        split = [arg for arg in self.tests if arg in ("-o", "-k", "-m", "-p", "-c", "--override-ini")]
        if split:
            raise ValueError(f"tests: give {split[0]!r} its value in the same word ('--override-ini=x=y')")
        return self


class RepoTask(BaseModel):
    """One bug: line ``line`` of ``path`` (relative to the project root) reads ``original`` and is
    replaced by ``mutated`` (removed when None); ``failing_tests`` pass before and fail after."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    project: str
    path: str
    line: int = Field(ge=1)
    original: str
    mutated: str | None
    kind: Kind
    failing_tests: list[str] = Field(min_length=1)
    phrasing: Literal["test", "issue"]
    issue: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> RepoTask:
        if self.phrasing == "issue" and not self.issue.strip():
            raise ValueError("an issue-phrased task needs its issue text")
        if "\n" in self.original or (self.mutated is not None and "\n" in self.mutated):
            raise ValueError("original and mutated are single lines, without newline")
        if self.mutated == self.original:
            raise ValueError("mutated equals original: no bug")
        return self


M = TypeVar("M", bound=BaseModel)


def _load(path: Path, model: type[M]) -> list[M]:
    try:
        rows: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RepoTaskError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(rows, list):
        raise RepoTaskError(f"{path}: expected a JSON list, got {type(rows).__name__}")
    items = []
    for number, row in enumerate(rows, start=1):
        try:
            items.append(model.model_validate(row))
        except ValidationError as exc:
            raise RepoTaskError(f"{path} entry {number}: {validation_problems(exc)}") from None
    return items


def load_projects(path: Path | None = None) -> dict[str, RepoProject]:
    """The pinned projects by name (default: the package's ``data/repo_projects.json``)."""
    path = path or PROJECTS_FILE
    projects: dict[str, RepoProject] = {}
    for project in _load(path, RepoProject):
        if project.name in projects:
            raise RepoTaskError(f"{path}: project {project.name!r} appears twice")
        projects[project.name] = project
    return projects


def load_tasks(path: Path | None = None) -> list[RepoTask]:
    """The tasks in file order (default: the package's ``data/repo_tasks.json``); ids are unique."""
    path = path or TASKS_FILE
    tasks = _load(path, RepoTask)
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            raise RepoTaskError(f"{path}: task id {task.id!r} appears twice")
        seen.add(task.id)
    return tasks


def default_cache() -> Path:
    """Where sdists are kept: ``$TRILOOP_CACHE_DIR/repo-sdists`` (the cache the scripts use) when set,
    else ``~/.cache/triloop/repo-sdists`` beside the embedded models' cache."""
    base = os.environ.get("TRILOOP_CACHE_DIR")
    root = Path(base) if base else Path.home() / ".cache" / "triloop"
    return root / "repo-sdists"


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def download_sdist(name: str, version: str, dest: Path) -> Path:
    """``name==version``'s sdist from the package index, by pip (so its index and proxy settings hold).

    Build isolation stays on: pip prepares an sdist's metadata with the project's own build backend,
    which this environment need not have (inflection's needs ``wheel``); ``--no-binary`` names only the
    project, so that backend may come as a wheel."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", name, "-q"]
    command += ["--disable-pip-version-check", f"{name}=={version}", "-d", str(dest)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    files = [p for p in dest.iterdir() if p.is_file()] if dest.is_dir() else []
    if done.returncode != 0 or len(files) != 1:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RepoTaskError(f"pip download {name}=={version} failed: {' | '.join(tail) or 'no file'}")
    return files[0]


def fetch_sdist(project: RepoProject, cache: Path) -> Path:
    """The project's sdist in ``cache``, downloaded when missing or when the cached copy's hash is wrong;
    a download whose hash is not the pinned one is refused (never cached)."""
    target = cache / project.sdist
    if target.is_file() and sha256_of(target) == project.sha256:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
        got = download_sdist(project.name, project.version, Path(tmp))
        actual = sha256_of(got)
        if actual != project.sha256:
            raise RepoTaskError(
                f"{project.name}=={project.version}: sdist {got.name} has sha256 {actual}, "
                f"expected {project.sha256}"
            )
        os.replace(got, target)
    return target


def _check_member(archive: Path, name: str, link: str | None = None) -> None:
    """Refuse members that would land outside the destination (absolute, ``..``, or linking out)."""
    for value in (name, link):
        if value is None:
            continue
        parts = PurePosixPath(value.replace("\\", "/")).parts
        if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value) or ".." in parts:
            raise RepoTaskError(f"{archive.name}: unsafe member {name!r} (absolute path or '..')")


def unpack(project: RepoProject, cache: Path, dest: Path) -> Path:
    """Extract the (fetched, verified) sdist into ``dest`` and return ``dest/root``."""
    archive = fetch_sdist(project, cache)
    dest.mkdir(parents=True, exist_ok=True)
    if (dest / project.root).exists():
        raise RepoTaskError(f"{dest / project.root} already exists; unpack into an empty folder")
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                _check_member(archive, name)
            zf.extractall(dest)
    else:
        try:
            with tarfile.open(archive) as tf:
                members = tf.getmembers()
                for member in members:
                    _check_member(
                        archive, member.name, member.linkname if member.issym() or member.islnk() else None
                    )
                    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
                        raise RepoTaskError(f"{archive.name}: member {member.name!r} is not a plain file")
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(dest, filter="data")
                else:  # pragma: no cover - Pythons before 3.11.4; the members were checked above
                    tf.extractall(dest)
        except tarfile.TarError as exc:
            raise RepoTaskError(f"{archive.name}: not a readable sdist ({exc})") from None
    root = dest / project.root
    if not root.is_dir():
        raise RepoTaskError(f"{archive.name} has no folder {project.root!r}")
    return root


def apply_mutation(task: RepoTask, root: Path) -> None:
    """Replace (or remove) line ``task.line`` of ``root/task.path``, which must read ``task.original``."""
    path = root / task.path
    if not path.is_file():
        raise RepoTaskError(f"task {task.id}: {task.path} is not a file of the project")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if task.line > len(lines):
        raise RepoTaskError(f"task {task.id}: {task.path} has {len(lines)} lines, not {task.line}")
    current = lines[task.line - 1]
    body = current.rstrip("\r\n")
    if body != task.original:
        raise RepoTaskError(
            f"task {task.id}: {task.path} line {task.line} reads {body!r}, expected {task.original!r}"
        )
    if task.mutated is None:
        del lines[task.line - 1]
    else:
        lines[task.line - 1] = task.mutated + current[len(body) :]
    path.write_text("".join(lines), encoding="utf-8")


def prepare(task: RepoTask, project: RepoProject, cache: Path, dest: Path) -> Path:
    """The mutated project, unpacked under ``dest``; returns its root."""
    if task.project != project.name:
        raise RepoTaskError(f"task {task.id} belongs to {task.project!r}, not {project.name!r}")
    root = unpack(project, cache, dest)
    apply_mutation(task, root)
    return root
