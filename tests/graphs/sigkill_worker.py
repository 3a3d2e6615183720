"""Subprocess for the SIGKILL test: runs the hard scenario with a FAKE LLM whose refiner hangs.

Usage: sigkill_worker.py DATA_DIR RUN_ID LOG [CHECKPOINT_URL] (a PostgreSQL URL: checkpoints there, else
sqlite in DATA_DIR). Writes "refine-started" to LOG when the refiner is
entered, then sleeps until the parent kills it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scenarios import hard_llm

from triloop.graphs.builder import build_solve_graph
from triloop.graphs.runner import SolveRunner
from triloop.graphs.state import SolveConfig
from triloop.graphs.store import CheckpointSettings, open_run_store


class HangingRefinerFake:
    """Wraps the scripted fake: the refiner blocks, so the process is killed mid-refine."""

    def __init__(self, inner, marker: Path) -> None:
        self.inner = inner
        self.marker = marker

    def complete(self, messages, **kwargs):
        if kwargs.get("role") == "refiner":
            with self.marker.open("a") as fh:
                fh.write("refine-started\n")
            time.sleep(600)
        return self.inner.complete(messages, **kwargs)


def main() -> None:
    data_dir, run_id, log = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    llm = HangingRefinerFake(hard_llm(log_path=log), log.with_suffix(".marker"))
    url = sys.argv[4] if len(sys.argv) > 4 else None
    with open_run_store(CheckpointSettings(url=url), data_dir) as runs:
        config = SolveConfig(k=3, review_top=2)  # two refinements in flight when the process is killed
        graph = build_solve_graph(llm, config=config, checkpointer=runs.saver)
        SolveRunner(graph, runs).start("What is 3*4?", config, run_id=run_id)


if __name__ == "__main__":
    main()
