"""What a person waits for in `triloop serve`: time to the first streamed event and to the answer.

Starts the app in-process on a real embedded model and the real sandbox (sqlite checkpoints in a
temporary directory), then sends each request through the `openai` client with ``stream=True`` and
times the first chunk that carries a step or text, the first content (the answer) and the end. Also
runs the three requests at once to see how the model server's slots are shared.

Prints a table and writes benchmarks/results/serve_latency-<model>.json.
Run: .venv/bin/python benchmarks/serve_latency.py [--model local|local-small]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"
REQUESTS = [
    ("triloop:direct", "Say hello in one sentence."),
    ("triloop:single", "Write a Python function `double(x)` that returns 2 * x."),
    ("triloop", "Write a Python function `is_even(n: int) -> bool` that says whether n is even."),
]


def _serve(stack: ExitStack, model: str) -> str:
    import uvicorn

    from triloop.chat.service import ChatService
    from triloop.config import load_settings
    from triloop.graphs.factory import open_solve_parts
    from triloop.server.app import create_app

    settings = load_settings(
        llm={"model": model}, data_dir=stack.enter_context(tempfile.TemporaryDirectory())
    )
    parts = open_solve_parts(stack, settings, use_tools=True, use_memory=False)
    app = create_app(ChatService(parts.llm, parts.graph, parts.runs, settings.solve))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    stack.callback(lambda: setattr(server, "should_exit", True))
    return f"http://127.0.0.1:{port}/v1"


def timed(client: Any, model: str, text: str) -> dict[str, Any]:
    started = time.monotonic()
    first_event = first_content = None
    tokens, steps = 0, 0
    for chunk in client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}], stream=True
    ):
        now = time.monotonic() - started
        if chunk.usage:
            tokens = chunk.usage.total_tokens
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        step = (getattr(delta, "model_extra", None) or {}).get("reasoning_content")
        if step or delta.content:
            first_event = first_event if first_event is not None else now
        if step:
            steps += 1
        if delta.content and first_content is None:
            first_content = now
    return {
        "model": model,
        "request": text,
        "first_event_s": round(first_event or 0.0, 2),
        "first_answer_text_s": round(first_content or 0.0, 2),
        "done_s": round(time.monotonic() - started, 2),
        "steps_streamed": steps,
        "tokens": tokens,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local")
    args = parser.parse_args()
    from openai import OpenAI

    with ExitStack() as stack:
        client = OpenAI(base_url=_serve(stack, args.model), api_key="unused", timeout=900)
        timed(client, "triloop:direct", "Hi.")  # warm the model server and the sandbox
        alone = [timed(client, m, t) for m, t in REQUESTS]
        started = time.monotonic()
        with ThreadPoolExecutor(len(REQUESTS)) as pool:
            together = list(pool.map(lambda mt: timed(client, *mt), REQUESTS))
        together_wall = round(time.monotonic() - started, 2)

    table = Table(title=f"triloop serve latency ({args.model})")
    for col in ("run", "model", "first event s", "answer text s", "done s", "steps", "tokens"):
        table.add_column(col)
    for label, rows in (("alone", alone), ("3 at once", together)):
        for r in rows:
            table.add_row(
                label,
                r["model"],
                *(
                    str(r[k])
                    for k in ("first_event_s", "first_answer_text_s", "done_s", "steps_streamed", "tokens")
                ),
            )
    Console().print(table)
    print(f"3 at once: all done after {together_wall}s")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    out = RESULTS / f"serve_latency-{args.model}.json"
    out.write_text(
        json.dumps(
            {
                "commit": commit,
                "model": args.model,
                "alone": alone,
                "together": together,
                "together_wall_s": together_wall,
            },
            indent=2,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
