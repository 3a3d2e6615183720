"""Two REAL `triloop serve` processes (0.5B embedded model) on one REAL PostgreSQL: a chat begun on one
continues on the other, and each lists the other's chats. Each process has its own data directory, so
nothing is shared but the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from triloop.memory.server import free_port

pytestmark = [pytest.mark.model, pytest.mark.slow]


def _serve(url: str, data_dir: Path, stack: ExitStack) -> str:
    port = free_port()
    env = {**os.environ, "TRILOOP_CHECKPOINT__URL": url, "TRILOOP_DATA_DIR": str(data_dir)}
    log = (data_dir.parent / f"serve-{port}.log").open("wb")
    stack.callback(log.close)
    proc = subprocess.Popen(
        [sys.executable, "-m", "triloop.cli", "serve", "--port", str(port), "--model", "local-small",
         "--no-tools", "--no-memory"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    stack.callback(proc.wait, 30)
    stack.callback(proc.terminate)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, (data_dir.parent / f"serve-{port}.log").read_text()[-2000:]
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return base
        except httpx.HTTPError:
            time.sleep(0.5)
    raise TimeoutError(f"triloop serve on {base} did not come up")


def _chat(base: str, text: str, thread_id: str | None = None) -> list[dict]:
    body = {"text": text, "mode": "direct", **({"thread_id": thread_id} if thread_id else {})}
    events = []
    with httpx.stream("POST", f"{base}/api/chat", json=body, timeout=300) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    return events


@pytest.fixture
def two_servers(postgres, tmp_path) -> Iterator[tuple[str, str]]:
    url = postgres.fresh_database("two_servers")
    with ExitStack() as stack:
        yield _serve(url, tmp_path / "a", stack), _serve(url, tmp_path / "b", stack)


def test_a_chat_begun_on_one_server_continues_on_the_other(two_servers) -> None:
    first, second = two_servers
    events = _chat(first, "Name one primary colour.")
    thread_id = events[0]["thread_id"]
    assert events[-1]["type"] == "answer" and events[-1]["content"].strip()

    listed = httpx.get(f"{second}/api/threads", timeout=30).json()["threads"]
    assert [t["thread_id"] for t in listed] == [thread_id] and listed[0][
        "title"
    ] == "Name one primary colour."
    history = httpx.get(f"{second}/api/threads/{thread_id}", timeout=30).json()["messages"]
    assert [m["role"] for m in history] == ["user", "assistant"]

    follow_up = _chat(second, "Name another one.", thread_id)
    assert follow_up[0]["thread_id"] == thread_id and follow_up[-1]["type"] == "answer"
    messages = httpx.get(f"{first}/api/threads/{thread_id}", timeout=30).json()["messages"]
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "Name one primary colour.",
        "Name another one.",
    ]
    assert len(messages) == 4
