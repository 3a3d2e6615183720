"""`triloop serve` end to end with the REAL embedded model (0.5B), the REAL sandbox and sqlite
checkpoints: the `openai` client against the server (plain, streamed, bad requests), three chats at
once, and the chat page in a real browser (Debian's chromium driven by playwright)."""

from __future__ import annotations

import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.slow]

ARTIFACTS = Path(
    os.environ.get("TRILOOP_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)
SMALL = {"k": 2, "budgets": {"max_tokens": 6000, "max_rounds": 1}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(local_llm_small, tmp_path_factory):
    import uvicorn

    from triloop.chat.service import ChatService
    from triloop.graphs.builder import build_solve_graph
    from triloop.graphs.state import SolveConfig
    from triloop.graphs.store import LocalRunStore
    from triloop.server.app import create_app
    from triloop.tools.execution import execution_tools
    from triloop.tools.sandbox.factory import create_sandbox

    root = tmp_path_factory.mktemp("serve")
    with ExitStack() as stack:
        sandbox = stack.enter_context(create_sandbox())
        tools = list(execution_tools(sandbox).values())
        runs = stack.enter_context(LocalRunStore(root))
        defaults = SolveConfig.model_validate(SMALL)
        graph = build_solve_graph(local_llm_small, tools=tools, config=defaults, checkpointer=runs.saver)
        service = ChatService(local_llm_small, graph, runs, defaults)
        port = _free_port()
        config = uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning")
        web = uvicorn.Server(config)
        thread = threading.Thread(target=web.run, daemon=True)
        thread.start()
        for _ in range(100):
            if web.started:
                break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
        web.should_exit = True
        thread.join(10)


@pytest.fixture
def client(server):
    from openai import OpenAI

    return OpenAI(base_url=server + "/v1", api_key="unused", timeout=600)


def test_openai_client_plain_and_streamed(client):
    direct = client.chat.completions.create(
        model="triloop:direct", messages=[{"role": "user", "content": "Say hello."}]
    )
    assert direct.choices[0].message.content.strip()
    assert direct.usage.total_tokens > 0

    started = time.monotonic()
    stream = client.chat.completions.create(
        model="triloop:single",
        messages=[{"role": "user", "content": "Write a Python function `double(x)` that returns 2 * x."}],
        stream=True,
    )
    reasoning, content, first_event, last = [], [], None, None
    for chunk in stream:
        last = chunk
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        extra = getattr(delta, "model_extra", None) or {}
        if extra.get("reasoning_content"):
            first_event = first_event or time.monotonic() - started
            reasoning.append(extra["reasoning_content"])
        if delta.content:
            content.append(delta.content)
    answer = "".join(content)
    print(f"serve: first step after {first_event:.1f}s, answer after {time.monotonic() - started:.1f}s")
    assert "def double" in answer and reasoning  # the steps streamed before the clean answer
    assert last.usage.total_tokens > 0 and last.model_extra["triloop"]["run_id"]


def test_bad_requests_are_4xx_with_openai_errors(client):
    import openai

    with pytest.raises(openai.NotFoundError, match="unknown model"):
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="triloop", messages=[])
    with pytest.raises(openai.APIStatusError) as too_big:
        client.chat.completions.create(
            model="triloop", messages=[{"role": "user", "content": "x" * 1_100_000}]
        )
    assert too_big.value.status_code == 413


def test_three_chats_at_once_all_finish(client):
    asks = [
        ("triloop:direct", "Name a colour."),
        ("triloop:single", "Write a Python function `inc(x)` that returns x + 1."),
        ("triloop:direct", "Say goodbye."),
    ]

    def ask(model_and_text):
        model, text = model_and_text
        out = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
        return out.choices[0].message.content

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(ask, asks))
    assert all(a.strip() for a in answers) and "def inc" in answers[1]


def test_the_chat_page_in_a_real_browser(server):
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        if os.environ.get("CI"):
            raise AssertionError("Debian's chromium is missing (scripts/test.sh installs it)")
        pytest.skip("no /usr/bin/chromium")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(server)
        page.select_option("#strategy", "single")
        page.fill("#message", "Write a Python function `triple(x)` that returns 3 * x.")
        started = time.monotonic()
        page.click("#send")
        page.wait_for_selector(".steps .step", timeout=120_000)  # agent steps stream in
        first_step = time.monotonic() - started
        page.wait_for_function("document.querySelectorAll('.steps .step').length >= 3", timeout=120_000)
        page.screenshot(path=str(ARTIFACTS / "chat-working.png"))
        page.wait_for_selector(".msg.assistant .evidence", timeout=300_000)  # the answer with its evidence
        answered = time.monotonic() - started
        text = page.inner_text(".msg.assistant .answer")
        page.screenshot(path=str(ARTIFACTS / "chat-answer.png"), full_page=True)
        steps = page.locator(".steps .step").count()

        # a new chat, stopped mid-run with the Stop button
        page.click("#new-chat")
        page.select_option("#strategy", "triloop")
        page.fill("#message", "Write a Python function `cube(x)` that returns x ** 3.")
        page.click("#send")
        page.wait_for_selector(".steps .step")
        page.click("#stop")
        page.wait_for_function("document.body.innerText.includes('(stopped)')", timeout=180_000)
        page.screenshot(path=str(ARTIFACTS / "chat-stopped.png"))

        # a budget pause asks on the page; "Stop here" ends the run with what it has (the first draft books
        # the whole budget, the second finds it spent: one unchecked draft, the budget gone, so it asks).
        # A word problem: a written-out computation ("17 * 23") is its own first program, no tokens spent
        page.click("#new-chat")
        page.select_option("#strategy", "triloop")
        page.fill("#budget", "100")
        page.fill("#message", "Ana buys 17 pens at 23 cents each. How many cents does she pay?")
        page.click("#send")
        page.wait_for_selector("#pause:not([hidden])", timeout=180_000)
        page.screenshot(path=str(ARTIFACTS / "chat-budget-pause.png"))
        page.click("#halt")
        page.wait_for_function("document.body.innerText.includes('stopped by budget')", timeout=180_000)
        page.fill("#budget", "")

        # the first chat reopens from the sidebar with its history
        page.locator("#threads li button", has_text="triple").first.click()
        # wait for that chat's own text: the budget chat on screen already has two messages
        page.wait_for_function(
            "document.querySelector('#log').innerText.includes('triple(x)')", timeout=30_000
        )
        reopened = page.inner_text("#log")
        browser.close()
    print(f"browser: first step after {first_step:.1f}s, answer after {answered:.1f}s, {steps} steps shown")
    assert "def triple" in text and steps >= 2
    assert "triple(x)" in reopened and "def triple" in reopened
    assert (ARTIFACTS / "chat-answer.png").stat().st_size > 10_000


def test_a_client_that_goes_away_stops_its_turn_and_the_chat_goes_on(server):
    import json

    import httpx

    body = {"text": "Write a Python function `square(x)` that returns x * x.", "strategy": "triloop"}
    with httpx.Client(base_url=server, timeout=120) as http:
        with http.stream("POST", "/api/chat", json=body) as response:
            events = []
            for line in response.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                if len(events) >= 3:
                    break  # leave mid-run: the connection closes here
        tid = events[0]["thread_id"]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            messages = http.get(f"/api/threads/{tid}").json()["messages"]
            if messages[-1]["role"] == "assistant":
                break
            time.sleep(1)
        assert messages[-1]["content"] == "(stopped)"  # the run did not go on in the background
        again = http.post("/api/chat", json={"text": "Say hi.", "thread_id": tid, "mode": "direct"})
        last = json.loads([x for x in again.text.split("\n\n") if x.startswith("data: ")][-1][6:])
        assert last["type"] == "answer" and http.get("/healthz").json() == {"ok": True}
