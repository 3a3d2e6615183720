"""Ask the chat page a question in a real browser, as a person would, and keep the screenshots.

Starts `triloop serve` in-process on the configured model (default: the embedded 1.5B), the real
sandbox and a temporary run store; opens the page in Debian's chromium (playwright), sends the question
with strategy "auto", screenshots the first draft's provisional answer and the final one, and prints the
answer text with its evidence line. Writes PNGs and a JSON summary under ``--out``.

    python benchmarks/chat_answer_check.py [--model local] [--question "..."] [--out benchmarks/results/chat-check]
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from contextlib import ExitStack
from pathlib import Path

PENS = (
    "A shop sells pens at $1.35 each and notebooks at $4.20 each. Ana buys 17 pens and 6 notebooks and "
    "pays with a $100 bill. How much change does she get?"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="local | local-small | a configured model")
    parser.add_argument("--question", default=PENS)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/chat-check"))
    args = parser.parse_args()

    import uvicorn
    from playwright.sync_api import sync_playwright

    from triloop.chat.service import ChatService
    from triloop.cli_options import settings_for
    from triloop.graphs.builder import build_solve_graph
    from triloop.graphs.factory import open_llm, open_tools
    from triloop.graphs.store import LocalRunStore
    from triloop.server.app import create_app

    args.out.mkdir(parents=True, exist_ok=True)
    settings = settings_for(args.model)
    with ExitStack() as stack:
        llm = open_llm(stack, settings)
        tools, _ = open_tools(stack, settings)
        runs = stack.enter_context(LocalRunStore(args.out / "runs"))
        graph = build_solve_graph(llm, tools=tools, config=settings.solve, checkpointer=runs.saver)
        service = ChatService(llm, graph, runs, settings.solve)
        port = _free_port()
        web = uvicorn.Server(
            uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=web.run, daemon=True).start()
        while not web.started:
            time.sleep(0.1)
        started = time.time()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/")
            page.fill("#message", args.question)
            page.click("#send")
            provisional = None
            try:
                page.wait_for_selector(".msg.assistant .answer .checking", timeout=600_000)
                provisional = page.inner_text(".msg.assistant .answer")
                page.screenshot(path=str(args.out / "chat-first-draft.png"), full_page=True)
            except Exception:  # the team may finish before a draft is shown (a direct reply has none)
                pass
            page.wait_for_selector(".msg.assistant .evidence", timeout=900_000)
            page.screenshot(path=str(args.out / "chat-answer.png"), full_page=True)
            answer = page.inner_text(".msg.assistant .answer")
            evidence = page.inner_text(".msg.assistant .evidence")
            browser.close()
        web.should_exit = True
    summary = {
        "question": args.question,
        "model": settings.llm.model,
        "provisional": provisional,
        "answer": answer,
        "evidence": evidence,
        "seconds": round(time.time() - started, 1),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
