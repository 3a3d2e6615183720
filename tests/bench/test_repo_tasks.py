"""triloop.bench.repo_tasks: the pinned projects and tasks load and are well-formed; every project's sdist
fetches from PyPI with its pinned sha256 and every task's recorded line is still the line it mutates; in
the REAL sandbox the inflection task's tests pass on the original and fail on the mutant; a wrong hash, a
stale line and an archive member escaping with ``..`` are refused."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from triloop.bench import repo_tasks
from triloop.bench.repo_tasks import (
    RepoProject,
    RepoTask,
    RepoTaskError,
    default_cache,
    fetch_sdist,
    load_projects,
    load_tasks,
    prepare,
    sha256_of,
    unpack,
)
from triloop.repo.testrun import run_suite

PROJECTS = load_projects()
TASKS = load_tasks()
INFLECTION_TASK = "inflection-underscore-removed"


def test_the_data_loads_and_every_task_names_a_project_once():
    assert 6 <= len(PROJECTS) <= 10
    assert len(TASKS) >= 24
    assert len({t.id for t in TASKS}) == len(TASKS)
    assert {t.project for t in TASKS} <= PROJECTS.keys()
    assert {t.project for t in TASKS} == PROJECTS.keys()  # no project is pinned for nothing
    phrasing = Counter(t.phrasing for t in TASKS)
    assert phrasing["test"] >= 12 and phrasing["issue"] >= 12
    assert max(Counter(t.project for t in TASKS).values()) <= 5
    assert len({t.kind for t in TASKS}) == 5
    assert any(2500 <= p.python_lines <= 5000 for p in PROJECTS.values())
    assert all(300 <= p.python_lines <= 5000 for p in PROJECTS.values())
    assert len({(t.project, t.path, t.line) for t in TASKS}) == len(TASKS)  # one bug per line


def test_issue_texts_are_given_and_never_name_the_failing_tests():
    for task in TASKS:
        if task.phrasing == "test":
            continue
        assert len(task.issue.split()) >= 10, task.id
        text = task.issue.lower()
        for node in task.failing_tests:
            file, _, name = node.partition("::")
            assert name.split("::")[-1].split("[")[0].lower() not in text, task.id
            assert Path(file).name.lower() not in text and "test_" not in text, task.id
        assert task.original.strip().lower() not in text, task.id


@pytest.fixture(scope="module")
def cache() -> Path:
    """The user's cache: CI starts empty and downloads from PyPI; a dev box reuses (and re-hashes) it."""
    return default_cache()


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_the_pinned_sdist_fetches_and_every_task_line_matches(name: str, cache: Path, tmp_path: Path):
    project = PROJECTS[name]
    archive = fetch_sdist(project, cache)
    assert archive.name == project.sdist and sha256_of(archive) == project.sha256
    for task in (t for t in TASKS if t.project == name):
        root = prepare(task, project, cache, tmp_path / task.id)
        original = (unpack(project, cache, tmp_path / f"{task.id}-original") / task.path).read_text()
        lines, mutated = original.splitlines(), (root / task.path).read_text().splitlines()
        expected = (
            lines[: task.line - 1] + ([] if task.mutated is None else [task.mutated]) + lines[task.line :]
        )
        assert mutated == expected, task.id
        for node in task.failing_tests:  # every judging test lives in the project, not deselected
            assert (root / node.split("::")[0]).is_file() and node not in project.deselect, node


def test_a_download_into_an_empty_cache_is_kept_and_reused(tmp_path: Path, monkeypatch):
    project = PROJECTS["inflection"]
    archive = fetch_sdist(project, tmp_path)  # the real pip download from the package index
    assert archive == tmp_path / project.sdist and sha256_of(archive) == project.sha256

    def no_download(*_args):
        raise AssertionError("a verified cached sdist is not downloaded again")

    monkeypatch.setattr(repo_tasks, "download_sdist", no_download)
    assert fetch_sdist(project, tmp_path) == archive


def _fake_download(content: bytes):
    def download(name: str, version: str, dest: Path) -> Path:
        path = dest / f"{name}-{version}.tar.gz"
        path.write_bytes(content)
        return path

    return download


def _tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _project(content: bytes, **update: object) -> RepoProject:
    base = RepoProject(name="tiny", version="1.0", sdist="tiny-1.0.tar.gz", sha256=hashlib.sha256(content).hexdigest(), root="tiny-1.0", tests=["test_tiny.py"], python_lines=1, test_lines=1)  # fmt: skip
    return base.model_copy(update=update)


TINY = _tarball(
    {"tiny-1.0/tiny.py": b"def add(a, b):\n    return a + b\n", "tiny-1.0/test_tiny.py": b"x = 1\n"}
)
TINY_TASK = RepoTask(id="tiny-add", project="tiny", path="tiny.py", line=2, original="    return a + b", mutated="    return a - b", kind="operator", failing_tests=["test_tiny.py::test_add"], phrasing="test")  # fmt: skip


def test_a_download_with_another_hash_is_refused_naming_both(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(repo_tasks, "download_sdist", _fake_download(TINY))
    project = _project(TINY, sha256="0" * 64)
    with pytest.raises(RepoTaskError) as caught:
        fetch_sdist(project, tmp_path)
    assert "0" * 64 in str(caught.value) and hashlib.sha256(TINY).hexdigest() in str(caught.value)
    assert caught.value.exit_code == 2
    assert not (tmp_path / project.sdist).exists()  # never cached
    (tmp_path / project.sdist).write_bytes(b"tampered")  # a cached copy with the wrong hash is replaced
    monkeypatch.setattr(repo_tasks, "download_sdist", _fake_download(TINY))
    assert sha256_of(fetch_sdist(_project(TINY), tmp_path)) == hashlib.sha256(TINY).hexdigest()


def test_a_task_whose_line_does_not_match_is_refused(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(repo_tasks, "download_sdist", _fake_download(TINY))
    project = _project(TINY)
    root = prepare(TINY_TASK, project, tmp_path, tmp_path / "ok")
    assert (root / "tiny.py").read_text() == "def add(a, b):\n    return a - b\n"
    stale = TINY_TASK.model_copy(update={"original": "    return b + a"})
    with pytest.raises(RepoTaskError, match=r"tiny.py line 2 reads '    return a \+ b', expected"):
        prepare(stale, project, tmp_path, tmp_path / "stale")
    with pytest.raises(RepoTaskError, match="has 2 lines, not 9"):
        prepare(TINY_TASK.model_copy(update={"line": 9}), project, tmp_path, tmp_path / "short")
    with pytest.raises(RepoTaskError, match="already exists"):
        prepare(TINY_TASK, project, tmp_path, tmp_path / "ok")
    removed = TINY_TASK.model_copy(update={"mutated": None})
    root = prepare(removed, project, tmp_path, tmp_path / "removed")
    assert (root / "tiny.py").read_text() == "def add(a, b):\n"


@pytest.mark.parametrize("name", ["../evil.py", "/etc/evil.py", "tiny-1.0/../../evil.py"])
def test_an_archive_member_escaping_the_destination_is_refused(name: str, tmp_path: Path, monkeypatch):
    content = _tarball({"tiny-1.0/tiny.py": b"x = 1\n", name: b"boom\n"})
    monkeypatch.setattr(repo_tasks, "download_sdist", _fake_download(content))
    with pytest.raises(RepoTaskError, match="unsafe member"):
        unpack(_project(content), tmp_path / "cache", tmp_path / "out")
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "out" / "tiny-1.0").exists()


def test_bad_data_files_fail_with_the_entry_named(tmp_path: Path):
    path = tmp_path / "tasks.json"
    row = TINY_TASK.model_dump()
    path.write_text(json.dumps([row, row]))
    with pytest.raises(RepoTaskError, match="'tiny-add' appears twice"):
        load_tasks(path)
    path.write_text(json.dumps([{**row, "phrasing": "issue"}]))
    with pytest.raises(RepoTaskError, match=r"entry 1: .*issue text"):
        load_tasks(path)
    path.write_text("{")
    with pytest.raises(RepoTaskError, match="cannot be read as JSON"):
        load_projects(path)
    project = _project(TINY, tests=["-o", "pythonpath=src", "tests"]).model_dump()
    path.write_text(json.dumps([project]))
    with pytest.raises(RepoTaskError, match="give '-o' its value in the same word"):
        load_projects(path)


def _run(sandbox, project: RepoProject, root: Path, tests: list[str]) -> dict[str, str]:
    options = [w for w in project.tests if w.startswith("-")]
    run = run_suite(sandbox, root, args=["-o", "addopts=", *options, *tests], timeout=120)
    assert not run.timed_out, run.tail
    return run.outcomes


def test_the_inflection_task_passes_on_the_original_and_fails_on_the_mutant(sandbox, cache, tmp_path):
    task = next(t for t in TASKS if t.id == INFLECTION_TASK)
    project = PROJECTS[task.project]
    assert task.mutated is None and task.phrasing == "test" and len(task.failing_tests) == 2
    original = unpack(project, cache, tmp_path / "original")
    assert _run(sandbox, project, original, task.failing_tests) == dict.fromkeys(task.failing_tests, "passed")
    mutant = prepare(task, project, cache, tmp_path / "mutant")
    assert _run(sandbox, project, mutant, task.failing_tests) == dict.fromkeys(task.failing_tests, "failed")
