"""Fixtures for the sandbox tests: real backends (no fakes) and host-side canaries.

Docker tests skip with a printed reason when no engine answers, but FAIL when ``CI`` is set, so CI
can never pass without having run them (scripts/docker-up.sh must have worked).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import CANARY, make_backend

from triloop.tools.sandbox.base import Sandbox


@pytest.fixture(scope="session")
def docker_sandbox() -> Iterator[Sandbox]:
    sb = make_backend("docker")
    yield sb
    sb.close()


@pytest.fixture(scope="session")
def bwrap_sandbox() -> Iterator[Sandbox]:
    sb = make_backend("bwrap")
    yield sb
    sb.close()


class WarmOnly:
    """A backend with a warm pool that waits for a ready entry before each run, so the test really
    exercises the warm path (pre-started worker) rather than a cold start."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._pool = sandbox.start_pool(1)

    def execute(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        assert self._pool.wait_full(60), "warm pool did not fill"
        return self._sandbox.execute(*args, **kwargs)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self._sandbox, name)


@pytest.fixture(scope="session")
def docker_warm_sandbox() -> Iterator[WarmOnly]:
    sb = make_backend("docker")
    yield WarmOnly(sb)
    sb.close()


@pytest.fixture(scope="session")
def bwrap_warm_sandbox() -> Iterator[WarmOnly]:
    sb = make_backend("bwrap")
    yield WarmOnly(sb)
    sb.close()


@pytest.fixture(
    params=[
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("bwrap", marks=pytest.mark.bwrap),
    ]
)
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """Each escape test runs once per isolating backend."""
    return request.getfixturevalue(f"{request.param}_sandbox")


@pytest.fixture(
    params=[
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("bwrap", marks=pytest.mark.bwrap),
        pytest.param("docker_warm", marks=pytest.mark.docker),
        pytest.param("bwrap_warm", marks=pytest.mark.bwrap),
    ]
)
def any_sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """Cold and warm-pool paths of both backends (warm entries run Python inside a pre-started worker)."""
    return request.getfixturevalue(f"{request.param}_sandbox")


@pytest.fixture(scope="session")
def host_secret(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A world-readable secret file on the host, outside any workspace."""
    path = tmp_path_factory.mktemp("host-secret") / "secret.txt"
    path.write_text(CANARY)
    path.chmod(0o644)
    for parent in (path.parent, path.parent.parent):
        parent.chmod(0o755)
    return path


@pytest.fixture(autouse=True, scope="session")
def host_env_secret() -> Iterator[str]:
    """OPENAI_API_KEY=canary in the host environment for the whole session."""
    mp = pytest.MonkeyPatch()
    mp.setenv("OPENAI_API_KEY", CANARY)
    mp.setenv("TRILOOP_TEST_SECRET", CANARY)
    yield CANARY
    mp.undo()


@pytest.fixture
def loopback_listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on host 127.0.0.1; the list collects anything a connection sent."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            received.append(b"connected:" + conn.recv(100))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join(2)
    server.close()
