"""`triloop chat` under a REAL pseudo-terminal (pexpect) with the REAL embedded model (0.5B): a plain
answer, a task run by the agents, Ctrl-C stopping a turn while the chat goes on, and --resume."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.slow]

PROMPT = "you>"


def spawn(tmp_path: Path, *args: str):
    pexpect = pytest.importorskip("pexpect")
    triloop = str(Path(sys.executable).with_name("triloop"))
    env = {
        **os.environ,
        "TRILOOP_DATA_DIR": str(tmp_path / "data"),
        "COLUMNS": "160",
        "TERM": "xterm",
        "NO_COLOR": "1",
    }
    child = pexpect.spawn(
        triloop, ["chat", "-m", "local-small", "--no-memory", *args], env=env, encoding="utf-8", timeout=180
    )
    child.expect(PROMPT)
    return child


def test_chat_answers_runs_tasks_stops_on_ctrl_c_and_resumes(tmp_path):
    child = spawn(tmp_path)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", child.before)  # styles aside
    thread = re.search(r"chat (chat-[0-9a-f]+)", plain).group(1)

    child.sendline("/strategy direct")
    child.expect("strategy: direct")
    child.expect(PROMPT)
    child.sendline("Say hello in one word.")
    child.expect(PROMPT)
    assert child.before.strip()

    child.sendline("/strategy single")
    child.expect(PROMPT)
    child.sendline("Write a Python function `double(x)` that returns 2 * x.")
    child.expect("def double")  # the code of the answer
    child.expect("stopped by")  # then its result line: evidence and cost
    child.expect(PROMPT)

    child.sendline("/strategy triloop")
    child.expect(PROMPT)
    child.sendline("Write a Python function `is_even(n)` that says whether n is even.")
    child.expect(r"LLM calls: [1-9]")  # the live view is up and the agents are mid-run
    child.sendintr()  # Ctrl-C: stop this turn, keep the chat
    child.expect("stopped; the chat goes on")
    child.expect(PROMPT)

    child.sendline("/budget 150")  # less than the first draft spends: the run pauses and asks
    child.expect(r"token budget per turn: \S*150")
    child.expect(PROMPT)
    child.sendline("What is 17 * 23?")
    child.expect(r"Budget reached .*Continue\?")
    child.sendline("n")
    child.expect("stopped by budget")
    child.expect(PROMPT)

    child.sendline("/history")
    child.expect(r"\(stopped\)")
    child.expect(PROMPT)
    child.sendline("/quit")
    child.expect(f"triloop chat --resume {thread}")
    child.expect(pytest.importorskip("pexpect").EOF)

    again = spawn(tmp_path, "--resume", thread)
    assert "double" in again.before  # the earlier turns are shown and kept
    again.sendline("/quit")
    again.expect(pytest.importorskip("pexpect").EOF)


def test_resuming_an_unknown_chat_is_a_clear_error(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    triloop = str(Path(sys.executable).with_name("triloop"))
    env = {**os.environ, "TRILOOP_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    out, status = pexpect.run(
        f"{triloop} chat -m local-small --no-memory --no-tools --resume chat-nope",
        env=env,
        withexitstatus=True,
        encoding="utf-8",
        timeout=300,
    )
    assert status != 0 and "no chat with id" in out and "Traceback" not in out
