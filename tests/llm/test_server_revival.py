"""An embedded server that vanished (its owner, another process, stopped) is replaced, once per call.

No model here: the "embedded servers" are fault-injecting stubs, and starting a server is faked at
:meth:`LocalServer._launch`, so the adopt-or-start logic, the state file and the lock are the real ones.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from filelock import FileLock, Timeout
from pydantic import BaseModel

from tests.llm.fault_server import FaultServer
from triloop.config import load_settings
from triloop.errors import LLMConnectionError, LLMTimeoutError
from triloop.llm.client import LLMClient
from triloop.llm.local import LocalServer

MSG = [{"role": "user", "content": "hi"}]
MODEL = "local-small"


class Answer(BaseModel):
    value: int


def _root(url: str) -> str:
    return url.removesuffix("/v1")


def _dead_url() -> str:
    srv = FaultServer([])  # bound, never served: once closed nothing listens on its port
    srv.httpd.server_close()
    return srv.url


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def launches(monkeypatch, tmp_path):
    """Fake server starts: each pops the next root URL from the list the test fills, and is recorded."""
    roots: list[str] = []
    made: list[str] = []

    def fake_launch(self: LocalServer, wait_s: float) -> str:
        with pytest.raises(Timeout):  # starting happens under the cross-process lock
            FileLock(str(self._lock_file), timeout=0).acquire()
        made.append(roots.pop(0))
        self._state_file.write_text(
            json.dumps({"base_url": made[-1], "pid": os.getpid(), "model": self.name})
        )
        return made[-1]

    monkeypatch.setattr(LocalServer, "_launch", fake_launch)
    return roots, made


def embedded_client(tmp_path, timeout: float = 5.0) -> LLMClient:
    settings = load_settings(
        llm={"model": MODEL, "timeout_s": timeout},
        retry={"max_attempts": 2, "initial_backoff_s": 0.05, "max_backoff_s": 0.1},
        local={"cache_dir": tmp_path},
    )
    return LLMClient(settings)


def adopt(tmp_path, url: str, pid: int | None = None) -> None:
    """Write the state file as another (live) process that started a server at ``url`` would."""
    state = {"base_url": _root(url), "pid": pid or os.getpid(), "model": MODEL}
    (tmp_path / f"server-{MODEL}.json").write_text(json.dumps(state))


def _complete(client: LLMClient) -> str:
    return client.complete(MSG).text


def _acomplete(client: LLMClient) -> str:
    return asyncio.run(client.acomplete(MSG)).text


def _stream(client: LLMClient) -> str:
    return "".join(client.stream(MSG))


def _structured(client: LLMClient) -> str:
    return str(client.structured(MSG, Answer).value)


@pytest.mark.parametrize(
    ("call", "answer", "expected"),
    [
        (_complete, ("ok", "second"), "second"),
        (_acomplete, ("ok", "second"), "second"),
        (_stream, ("stream", ["sec", "ond"]), "second"),
        (_structured, ("ok", '{"value": 2}'), "2"),
    ],
    ids=["complete", "acomplete", "stream", "structured"],
)
def test_adopted_server_that_vanished_is_replaced_and_the_call_sent_again(
    tmp_path, launches, call, answer, expected
):
    roots, made = launches
    with FaultServer([answer, ("ok", "third")]) as second:
        roots.append(_root(second.url))
        with FaultServer([("ok", "first")]) as first:
            adopt(tmp_path, first.url)
            client = embedded_client(tmp_path)
            assert client.endpoint().base_url == first.url and made == []  # adopted, not started
            assert client.complete(MSG).text == "first"
        # `first` is gone now, as when the process that started it stops
        assert call(client) == expected
        assert made == [_root(second.url)]
        assert client.endpoint().base_url == second.url
        assert client.complete(MSG).text == "third"  # later calls go to the new server directly
        assert made == [_root(second.url)]


def test_a_call_restarts_the_embedded_server_at_most_once(tmp_path, launches):
    roots, made = launches
    roots.append(_root(_dead_url()))  # the new server is unreachable too
    with FaultServer([("ok", "first")]) as first:
        adopt(tmp_path, first.url)
        client = embedded_client(tmp_path)
        client.complete(MSG)
    with pytest.raises(LLMConnectionError, match="after 2 attempts"):
        client.complete(MSG)
    assert len(made) == 1


def test_concurrent_failed_calls_share_one_restart(tmp_path, launches):
    roots, made = launches
    with FaultServer([("ok", "again")] * 4) as second:
        roots.append(_root(second.url))
        with FaultServer([]) as first:
            adopt(tmp_path, first.url)
            client = embedded_client(tmp_path)
            client.endpoint()

        async def four() -> list[str]:
            return [c.text for c in await asyncio.gather(*(client.acomplete(MSG) for _ in range(4)))]

        assert asyncio.run(four()) == ["again"] * 4
    assert len(made) == 1


def test_a_remote_endpoint_that_refuses_is_not_restarted(monkeypatch):
    restarts: list[str] = []
    monkeypatch.setattr(LocalServer, "restart", lambda self, wait_s=0: restarts.append(self.name))
    monkeypatch.setattr(LocalServer, "_launch", lambda self, wait_s: restarts.append(self.name))
    url = _dead_url()
    settings = load_settings(
        llm={"base_url": url, "model": MODEL},  # a local model's name, but served elsewhere
        retry={"max_attempts": 2, "initial_backoff_s": 0.05, "max_backoff_s": 0.1},
    )
    client = LLMClient(settings)
    with pytest.raises(LLMConnectionError, match=f"cannot reach {url} after 2 attempts"):
        client.complete(MSG)
    with pytest.raises(LLMConnectionError, match=f"cannot reach {url}"):
        "".join(client.stream(MSG))
    assert restarts == []


def test_a_timeout_of_the_embedded_server_is_not_a_restart(tmp_path, launches):
    _, made = launches
    with FaultServer([("hang", 1.0)] * 2) as slow:
        adopt(tmp_path, slow.url)
        client = embedded_client(tmp_path, timeout=0.3)
        with pytest.raises(LLMTimeoutError):
            client.complete(MSG)
    assert made == []


def test_a_server_whose_owner_died_is_not_adopted(tmp_path, launches):
    roots, made = launches
    with FaultServer([]) as orphan, FaultServer([]) as fresh:
        adopt(tmp_path, orphan.url, pid=_dead_pid())  # it still answers, but is about to go
        roots.append(_root(fresh.url))
        assert LocalServer(MODEL, load_settings(local={"cache_dir": tmp_path}).local).start() == fresh.url
    assert made == [_root(fresh.url)]
    state = json.loads((tmp_path / f"server-{MODEL}.json").read_text())
    assert state["base_url"] == _root(fresh.url) and state["pid"] == os.getpid()
