"""Issue #10 with real servers: a process that adopted another's embedded server outlives it.

Process A starts the embedded server (local-small) and answers once; this test (process B) adopts that
server through the state file; A is then terminated, which takes its server down with it; B's next call
must still be answered (B starts or adopts a live server) instead of failing with "cannot reach".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from triloop.config import load_settings
from triloop.errors import ModelNotInstalledError
from triloop.llm.local import MODELS, _healthy, assemble_model

MODEL = "local-small"
TINY = {"n_threads": 1, "n_ctx": 512, "n_parallel": 1}  # another run may be sharing the CPU
MSG = [{"role": "user", "content": "Say hi."}]

PROCESS_A = """
import sys
from triloop.config import load_settings
from triloop.llm.client import LLMClient

client = LLMClient(load_settings(llm={"model": "local-small", "temperature": 0.0}))
client.complete([{"role": "user", "content": "Say hi."}], max_tokens=4)
print(client.endpoint().base_url, flush=True)
sys.stdin.readline()  # run until told to stop, or terminated
client.close()
"""


@pytest.fixture
def cache_dir(tmp_path):
    """A cache of its own (so no other triloop process on the machine shares its servers), holding the
    model assembled once in the usual cache."""
    pytest.importorskip("xllamacpp", reason="the embedded model needs the 'local' extra (xllamacpp)")
    try:
        model = assemble_model(MODEL, load_settings().local.cache_dir)
    except ModelNotInstalledError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"embedded model {MODEL!r} unavailable: {exc}")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / model.name).symlink_to(model)
    (cache / model.with_suffix(".verified").name).write_text(MODELS[MODEL].sha256)
    return cache


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_call_survives_the_process_whose_server_it_adopted(cache_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRILOOP_")}
    env |= {"TRILOOP_LOCAL__CACHE_DIR": str(cache_dir)}
    env |= {f"TRILOOP_LOCAL__{k.upper()}": str(v) for k, v in TINY.items()}
    a = subprocess.Popen(
        [sys.executable, "-c", PROCESS_A],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    from triloop.llm.client import LLMClient

    b = LLMClient(
        load_settings(
            llm={"model": MODEL, "temperature": 0.0},
            retry={"max_attempts": 2, "initial_backoff_s": 0.1, "max_backoff_s": 0.5},
            local={"cache_dir": cache_dir, **TINY},
        )
    )
    try:
        a_url = a.stdout.readline().strip()
        assert a_url.startswith("http://127.0.0.1:"), a.stderr.read() if a.poll() is not None else a_url

        state_file = cache_dir / f"server-{MODEL}.json"
        assert json.loads(state_file.read_text())["pid"] == a.pid
        assert b.endpoint().base_url == a_url  # B adopted A's server...
        assert b._servers[MODEL].pid is None  # ...and started none of its own
        assert b.complete(MSG, max_tokens=4).completion_tokens > 0

        a.terminate()  # A stops mid-run; its server goes with it
        a.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _healthy(a_url.removesuffix("/v1"), timeout=0.5):
            assert time.monotonic() < deadline, "A's server outlived A"
            time.sleep(0.2)

        answer = b.complete(MSG, max_tokens=4)  # must not raise "cannot reach ..."
        assert answer.completion_tokens > 0
        assert b.endpoint().base_url != a_url
        assert b._servers[MODEL].pid is not None  # B started the live server...
        assert json.loads(state_file.read_text())["pid"] == os.getpid()  # ...and offers it to others
    finally:
        if a.poll() is None:
            a.kill()
            a.wait()
        b.close()
