"""``triloop batch`` through the real command line: bad files, resuming, a REAL local Ray cluster (results
equal to the batch run here; a worker killed mid-batch), on the FAKE deterministic endpoint
(tests/sim_endpoint.py) so that Ray and no-Ray runs can be compared exactly; and one batch on the REAL
embedded 0.5B model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.sim_endpoint import SimEndpoint

ROWS = [{"id": f"q{i}", "task": f"What is six times seven? (case {i})"} for i in range(6)]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _command(file: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "triloop.cli", "batch", str(file), "--no-memory", "--out", str(out), *extra]


def _env(data_dir: Path, env: dict | None) -> dict[str, str]:
    return {**os.environ, "COLUMNS": "500", "TRILOOP_DATA_DIR": str(data_dir), **(env or {})}


def _batch(file: Path, out: Path, data_dir: Path, *extra: str, env: dict | None = None, timeout: float = 600):
    command = _command(file, out, *extra)
    return subprocess.run(command, env=_env(data_dir, env), capture_output=True, text=True, timeout=timeout)


def _descendants(root: int) -> set[int]:
    """The processes below ``root`` (a local Ray cluster's raylet and workers are under its driver)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _sim_env(sim: SimEndpoint) -> dict[str, str]:
    return {"TRILOOP_LLM__BASE_URL": sim.url, "TRILOOP_LLM__MODEL": "sim"}


def _results(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_bad_rows_are_listed_with_their_lines(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": 1}\nnope\n{"id": 2, "task": "x", "kind": "ml"}\n{"id": 3, "task": "x"}\n{"id": 3, "task": "y"}\n'
    )
    result = _batch(bad, tmp_path / "out.jsonl", tmp_path / "data")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for says in (
        "line 1: task: Field required",
        "line 2: not JSON",
        "line 3: kind",
        "line 5: id '3' is also on line 4",
    ):
        assert says in result.stderr, result.stderr
    assert not (tmp_path / "out.jsonl").exists()  # nothing ran


@pytest.mark.slow
def test_a_batch_on_ray_equals_the_batch_run_here_and_resumes(tmp_path):
    file = _write(tmp_path / "rows.jsonl", ROWS)
    with SimEndpoint(slots=4) as sim:
        env = _sim_env(sim)
        here = _batch(file, tmp_path / "here.jsonl", tmp_path / "here-data", env=env)
        assert here.returncode == 0, here.stderr
        on_ray = _batch(file, tmp_path / "ray.jsonl", tmp_path / "ray-data", "--ray", "local", env=env)
        assert on_ray.returncode == 0, on_ray.stderr
        requests = sim.counts["requests"]
        again = _batch(file, tmp_path / "ray.jsonl", tmp_path / "ray-data", "--ray", "local", env=env)
        assert again.returncode == 0 and "6 rows, 6 done before" in again.stderr
        assert sim.counts["requests"] == requests  # resumed: no row ran twice

    def comparable(out: Path) -> dict[str, tuple]:
        rows = _results(out)
        assert len(rows) == len({r["id"] for r in rows}) == 6
        return {
            r["id"]: (r["status"], r["answer"], r["outcome"], r["code"], r["usage"]["llm_calls"])
            for r in rows
        }

    assert comparable(tmp_path / "ray.jsonl") == comparable(tmp_path / "here.jsonl")
    assert {r["answer"] for r in _results(tmp_path / "here.jsonl")} == {"42"}


@pytest.mark.slow
def test_a_ray_worker_killed_mid_batch_leaves_every_row_exactly_once(tmp_path):
    rows = [{"id": f"k{i}", "task": f"What is six times seven? (slow case {i})"} for i in range(8)]
    file = _write(tmp_path / "rows.jsonl", rows)
    killed: list[int] = []

    def kill_one_worker(driver: int) -> None:  # only this batch's workers, never another session's
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            running = subprocess.run(["pgrep", "-f", "ray::run_job"], capture_output=True, text=True).stdout
            mine = sorted({int(pid) for pid in running.split()} & _descendants(driver))
            if mine:
                os.kill(mine[0], signal.SIGKILL)
                killed.append(mine[0])
            time.sleep(0.2)

    with SimEndpoint(slots=8, latency_per_token_s=0.05) as sim:  # each reply ~1 s: rows are in flight
        command = _command(file, tmp_path / "out.jsonl", "--ray", "local")
        env = _env(tmp_path / "data", _sim_env(sim))
        with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as proc:
            killer = threading.Thread(target=kill_one_worker, args=(proc.pid,), daemon=True)
            killer.start()
            _, stderr = proc.communicate(timeout=600)
        killer.join(5)
    assert killed, "no Ray worker was seen running a row"
    out = _results(tmp_path / "out.jsonl")
    assert sorted(r["id"] for r in out) == sorted(r["id"] for r in rows)  # each row once, none lost
    assert all(r["status"] == "done" and r["answer"] == "42" for r in out), stderr  # Ray retried it
    assert proc.returncode == 0


@pytest.mark.slow
def test_a_worker_that_cannot_build_its_parts_says_why(tmp_path):
    file = _write(tmp_path / "rows.jsonl", ROWS[:2])
    with SimEndpoint(slots=4) as sim:
        env = {
            **_sim_env(sim),
            "TRILOOP_SANDBOX__BACKEND": "docker",
            "DOCKER_HOST": "unix:///nonexistent.sock",
        }
        result = _batch(file, tmp_path / "out.jsonl", tmp_path / "data", "--ray", "local", env=env)
    assert result.returncode == 1, result.stderr[-2000:]
    out = _results(tmp_path / "out.jsonl")
    assert len(out) == 2 and all(r["status"] == "error" for r in out)
    # the cause from the worker, not Ray's wrapper or "worker lost"
    assert all(r["error"].startswith("BackendUnavailableError") for r in out), [r["error"] for r in out]


@pytest.mark.model
@pytest.mark.slow
def test_a_batch_on_the_embedded_model(tmp_path):
    rows = [
        {"id": "product", "task": "What is 12 * 11?"},
        {"id": "add", "task": "Write a Python function add(a, b) that returns a + b.", "kind": "coding"},
    ]
    file = _write(tmp_path / "rows.jsonl", rows)
    result = _batch(file, tmp_path / "out.jsonl", tmp_path / "data", "--model", "local-small", "--k", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    out = {r["id"]: r for r in _results(tmp_path / "out.jsonl")}
    assert out["product"]["answer"] == "132" and out["product"]["kind"] == "general"
    assert out["add"]["kind"] == "coding" and "def add" in out["add"]["code"]
    assert all(r["usage"]["llm_calls"] >= 1 for r in out.values())


@pytest.fixture
def ray_head(tmp_path_factory, monkeypatch):
    """A REAL `ray start --head` on this machine (token auth on, as Ray >= 2.59 defaults), stopped after."""
    import secrets
    import tempfile

    ray = str(Path(sys.executable).with_name("ray"))
    monkeypatch.setenv("RAY_AUTH_TOKEN", secrets.token_hex(16))
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths have a length limit
    subprocess.run(
        [ray, "start", "--head", "--port=0", "--num-cpus=2", "--disable-usage-stats", "--include-dashboard=false",
         f"--temp-dir={temp}"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    yield
    subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)


@pytest.mark.slow
def test_a_batch_joins_the_cluster_ray_start_made(tmp_path, ray_head):
    file = _write(tmp_path / "rows.jsonl", ROWS[:3])
    with SimEndpoint(slots=4) as sim:
        result = _batch(file, tmp_path / "out.jsonl", tmp_path / "data", "--ray", "auto", env=_sim_env(sim))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ray auto" in result.stderr
    assert {r["id"]: r["answer"] for r in _results(tmp_path / "out.jsonl")} == {
        "q0": "42",
        "q1": "42",
        "q2": "42",
    }


@pytest.mark.slow
def test_an_unreachable_cluster_is_a_clear_error(tmp_path):
    file = _write(tmp_path / "rows.jsonl", ROWS[:1])
    result = _batch(file, tmp_path / "out.jsonl", tmp_path / "data", "--ray", "127.0.0.1:9", timeout=300)
    assert result.returncode == 1 and "error: cannot reach the Ray cluster at '127.0.0.1:9'" in result.stderr
    assert "Traceback" not in result.stderr
