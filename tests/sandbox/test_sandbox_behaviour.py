"""Behaviour of the real backends: results, truncation, workspace diff, warm pool, sessions."""

from __future__ import annotations

import time

import pytest
from sandbox_helpers import make_backend, sandbox_settings

from triloop.tools.sandbox.errors import SandboxInputError
from triloop.tools.sandbox.workspace import make_workspace, remove_workspace


def test_result_fields_and_files_changed(sandbox):
    ws = make_workspace()
    try:
        (ws / "data.txt").write_text("3 4")
        (ws / "data.txt").chmod(0o666)
        code = "a, b = map(int, open('data.txt').read().split())\nopen('sum.txt', 'w').write(str(a + b))\n"
        code += "import sys\nprint('sum', a + b)\nprint('warn', file=sys.stderr)\nsys.exit(5)\n"
        r = sandbox.execute(code, workspace=ws)
        assert (r.stdout, r.stderr, r.exit_code) == ("sum 7\n", "warn\n", 5)
        assert not r.timed_out and not r.oom_killed and r.duration_s > 0
        assert r.files_changed == ["sum.txt"]
        assert (ws / "sum.txt").read_text() == "7"
        assert r.backend == sandbox.name
    finally:
        remove_workspace(ws)


def test_output_is_truncated_with_marker(sandbox):
    limit = sandbox.settings.output_limit_bytes
    r = sandbox.execute(
        f"import sys\nsys.stdout.write('x' * {limit * 3})\nsys.stderr.write('e' * {limit + 10})"
    )
    assert r.exit_code == 0
    assert r.stdout_truncated and r.stderr_truncated
    assert r.stdout.startswith("x" * limit)
    assert f"{limit * 2} more bytes" in r.stdout
    assert "10 more bytes" in r.stderr


def test_command_string_and_argv(sandbox):
    assert sandbox.execute(command="echo $((6 * 7)) && pwd").stdout == "42\n/workspace\n"
    assert sandbox.execute(command=["python3", "-c", "print('argv')"]).stdout == "argv\n"


def test_files_argument_and_path_checks(sandbox):
    r = sandbox.execute(command="cat pkg/a.txt", files={"pkg/a.txt": "hello"})
    assert r.stdout == "hello"
    with pytest.raises(SandboxInputError, match="inside the workspace"):
        sandbox.execute(command="true", files={"../escape.txt": "x"})
    with pytest.raises(SandboxInputError, match="exactly one"):
        sandbox.execute()
    with pytest.raises(SandboxInputError, match="timeout"):
        sandbox.execute("print(1)", timeout=-1)


@pytest.mark.parametrize(
    "backend",
    [pytest.param("docker", marks=pytest.mark.docker), pytest.param("bwrap", marks=pytest.mark.bwrap)],
)
def test_warm_pool_gives_clean_sandboxes_and_cleans_up(backend):
    sb = make_backend(backend, sandbox_settings(pool_size=2))
    pool = sb.start_pool()
    try:
        assert pool.wait_full(60)
        first = sb.execute("open('left.txt','w').write('x')\nopen('/tmp/t','w').write('x')\nprint('one')")
        assert first.stdout == "one\n" and first.files_changed == ["left.txt"]
        assert pool.wait_full(60)
        second = sb.execute("import os\nprint(os.listdir('.'), os.path.exists('/tmp/t'))")
        assert second.stdout == "['main.py'] False\n"  # no state from the previous task
        assert sb.execute(command="exit 4").exit_code == 4  # non-python jobs on warm entries too
        timed = sb.execute("while True: pass", timeout=1)
        assert timed.timed_out
        assert pool.wait_full(60)
        err = sb.execute(
            "import sys\nprint(sys.argv[0], sys.path[0])\ndef f():\n    raise ValueError('bad')\nf()"
        )
        cold = sb.execute(
            "import sys\nprint(sys.argv[0], sys.path[0])\ndef f():\n    raise ValueError('bad')\nf()",
            timeout=sb.settings.timeout_s + 1,
        )  # longer timeout than the pool's: runs cold
        assert (
            (err.stdout, err.stderr, err.exit_code)
            == (cold.stdout, cold.stderr, cold.exit_code)
            == (
                "main.py /workspace\n",
                'Traceback (most recent call last):\n  File "/workspace/main.py", line 5, in <module>\n'
                "    f()\n  File \"/workspace/main.py\", line 4, in f\n    raise ValueError('bad')\nValueError: bad\n",
                1,
            )
        )
    finally:
        sb.close()
    assert pool.ready_count() == 0
    if backend == "docker":
        time.sleep(0.5)
        mine = [
            c
            for c in sb.client.containers.list(all=True, filters={"label": "triloop.sandbox"})
            if c.labels.get("triloop.owner") == sb._owner
        ]
        assert mine == []  # no orphan containers


def test_session_keeps_state_and_restarts_on_timeout(sandbox):
    with sandbox.open_session() as s:
        assert s.run("import math\nx = 40").exit_code == 0
        r = s.run("x += 2\nprint(x, math.pi > 3)")
        assert (r.stdout, r.restarted) == ("42 True\n", False)
        r = s.run("import os\nos.system('echo from-child')\nopen('kept.txt', 'w').write('1')")
        assert r.stdout == "from-child\n" and r.files_changed == ["kept.txt"]
        r = s.run("raise ValueError('boom')")
        assert r.exit_code == 1 and "ValueError: boom" in r.stderr and "_capture_run" not in r.stderr
        r = s.run("while True: pass", timeout=1)
        assert (r.timed_out and r.restarted and "state" in r.note) or "variables" in r.note
        r = s.run("print('x' in dir(), open('kept.txt').read())")
        assert r.stdout == "False 1\n"  # namespace lost, workspace kept
        r = s.run("import os\nos._exit(3)")
        assert r.restarted and r.exit_code == 3 and "died" in r.note
        assert s.run("print('alive')").stdout == "alive\n"


@pytest.mark.bwrap
def test_idle_pool_shrinks_to_zero_and_refills_on_use():
    sb = make_backend("bwrap", sandbox_settings(pool_size=2, pool_idle_s=0.5))
    try:
        pool = sb.start_pool()
        assert pool.wait_full(30)
        deadline = time.monotonic() + 10
        while pool.ready_count() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pool.ready_count() == 0  # shrank while idle
        assert sb.execute("print('cold while empty')").stdout == "cold while empty\n"
        assert pool.wait_full(30)  # a take wakes it up again
    finally:
        sb.close()


@pytest.mark.docker
def test_ml_packages_in_docker_image_within_default_limits(docker_sandbox):
    r = docker_sandbox.execute(
        "import numpy, pandas, sklearn\nfrom sklearn.linear_model import LinearRegression\n"
        "X = numpy.arange(10).reshape(-1, 1); m = LinearRegression().fit(X, 2 * X.ravel() + 1)\n"
        "print(round(m.coef_[0], 3), round(m.intercept_, 3), pandas.__version__ > '1')",
        timeout=60,
    )
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "2.0 1.0 True\n"


def test_session_memory_bomb(sandbox):
    with sandbox.open_session() as s:
        s.run("keep = 'still here'")
        r = s.run("chunks = []\nwhile True:\n    chunks.append(b'x' * (32 * 1024 * 1024))", timeout=30)
        if sandbox.name == "docker":
            assert r.oom_killed and r.restarted and "out of memory" in r.note
            assert s.run("print('keep' in dir())").stdout == "False\n"
        else:  # the address-space limit raises inside the worker, which survives
            assert r.exit_code == 1 and "MemoryError" in r.stderr and not r.restarted
            assert s.run("del chunks\nprint(keep)").stdout == "still here\n"


@pytest.mark.parametrize(
    "backend",
    [pytest.param("docker", marks=pytest.mark.docker), pytest.param("bwrap", marks=pytest.mark.bwrap)],
)
def test_concurrent_executions_are_isolated(backend):
    from concurrent.futures import ThreadPoolExecutor

    sb = make_backend(backend, sandbox_settings(pool_size=2))
    sb.start_pool()
    try:
        code = "import os, sys\nopen('mine.txt', 'w').write(sys.argv[0])\nprint(sorted(os.listdir('.')), {i})"
        with ThreadPoolExecutor(4) as ex:
            results = list(ex.map(lambda i: sb.execute(code.format(i=i)), range(6)))
        for i, r in enumerate(results):
            assert r.exit_code == 0, r.stderr
            assert r.stdout == f"['main.py', 'mine.txt'] {i}\n"
    finally:
        sb.close()
