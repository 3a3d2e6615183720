"""Child process that hosts the embedded llama.cpp server.

Running ``xllamacpp.Server`` in its own process means stopping it is a signal, never a destructor that
can wait forever on a busy slot, and the parent's memory stays its own. The worker exits when told
(SIGTERM/SIGINT) or when its parent dies, so no server outlives the program that started it.

    python -m triloop.llm.serve_worker '{"model_path": ..., "port": ..., ...}'
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time


def main(argv: list[str]) -> None:
    config = json.loads(argv[1])
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = config["model_path"]
    params.model_alias = config["alias"]
    params.hostnames = ["127.0.0.1"]
    params.port = config["port"]
    params.n_ctx = config["n_ctx"]
    params.n_parallel = config["n_parallel"]
    params.cpuparams.n_threads = config["n_threads"]
    params.cpuparams_batch.n_threads = config["n_threads"]
    params.warmup = False
    params.verbosity = -1  # keep the terminal for answers; errors still reach stderr

    def leave(*_: object) -> None:
        os._exit(0)  # skip the server's destructor: the OS frees everything at once

    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGINT, leave)
    parent = os.getppid()
    server = xllamacpp.Server(params)  # serves on its own threads until the process ends
    while os.getppid() == parent:
        time.sleep(0.5)
    del server
    leave()


if __name__ == "__main__":
    main(sys.argv)
