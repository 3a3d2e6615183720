"""`triloop ml run` under a REAL pseudo-terminal with the REAL embedded model (0.5B) and sandbox:
the live table shows the baseline, Ctrl-C stops the run and keeps what is done, and
`triloop ml resume` goes on from the log."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
pytestmark = [pytest.mark.model, pytest.mark.slow]


def triloop(tmp_path: Path, *args: str):
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "TRILOOP_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "140", "NO_COLOR": "1"}
    exe = str(Path(sys.executable).with_name("triloop"))
    # A shell that starts the suite in the background (`.ci/run &`) ignores SIGINT, and an ignored
    # signal stays ignored across exec: give the program the terminal's default, as a user's shell does.
    default_intr = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
    child = pexpect.spawn(exe, list(args), env=env, encoding="utf-8", timeout=300, preexec_fn=default_intr)
    child.logfile_read = sys.stdout  # what the terminal showed, in the report of a failure
    return child


def test_ctrl_c_keeps_what_is_done_and_resume_goes_on(sandbox, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    task = tmp_path / "wine"
    init = triloop(tmp_path, "ml", "init", str(task), "--dataset", "wine")
    init.expect(pexpect.EOF)

    run = triloop(
        tmp_path, "ml", "run", str(task), "-m", "local-small", "--no-memory", "--max-experiments", "6"
    )
    run.expect("baseline")  # the live table has its first row: the Reviewer is now at work
    run.sendintr()
    run.expect("what is done is kept")
    run.expect(pexpect.EOF)
    run.close()
    lines = (task / "experiments.jsonl").read_text().splitlines()
    logged = [json.loads(line) for line in lines]
    assert logged and logged[0]["action"] == "baseline" and logged[0]["status"] == "ok"
    assert (task / "report.md").is_file() and run.exitstatus == 0

    again = triloop(tmp_path, "ml", "resume", str(task), "-m", "local-small", "--no-memory")
    again.expect("baseline")  # the earlier experiments are shown first
    again.sendintr()
    again.expect("what is done is kept")
    again.expect(pexpect.EOF)
    after = (task / "experiments.jsonl").read_text().splitlines()
    assert after[: len(lines)] == lines  # resume appends; what was done stays as it was
