"""Child process for the concurrency tests: adds distinct experiences and counts calls on a shared tool doc.

Run as ``python writer_proc.py <worker> <count> <dir-or-url> [lock-file]``; a URL selects shared mode,
and a lock file (shared mode only) makes the workers' read-modify-writes exact.
"""

from __future__ import annotations

import sys
from pathlib import Path

from triloop.memory.records import ExperienceRecord, ToolTrace
from triloop.memory.settings import MemorySettings
from triloop.memory.store import MemoryStore

TOPICS = ["graphs", "strings", "dates", "matrices", "regexes", "sockets", "parsers", "heaps"]
VERBS = ["sorting", "merging", "validating", "compressing", "streaming", "caching"]


def main(worker: int, count: int, target: str, lock: str | None = None) -> None:
    if target.startswith("http"):
        settings = MemorySettings(server_url=target, shared_lock_path=Path(lock) if lock else None)
    else:
        settings = MemorySettings(dir=Path(target))
    # merge_threshold=1.0 (> any real cosine of distinct texts): every record must survive as itself.
    settings = settings.model_copy(update={"merge_threshold": 1.0})
    with MemoryStore(settings) as store:
        for i in range(count):
            task = f"worker {worker} task {i}: {VERBS[i % len(VERBS)]} {TOPICS[(worker + i) % len(TOPICS)]}"
            store.add(ExperienceRecord(id=f"w{worker}-{i}", task=task, task_kind="coding", outcome="solved"))
            store.record_tool_call("shared_tool", ToolTrace(ok=True, note=f"w{worker}-{i}"))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
