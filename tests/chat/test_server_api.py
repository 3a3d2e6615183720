"""The ASGI app on a scripted FAKE LLM: the OpenAI-compatible API (plain and streamed), the page's
chat stream, run traces and reports, auth, limits and error shapes."""

from __future__ import annotations

import json

import pytest
from fake_chat import StreamingFakeLLM, chat_service, easy_chat_llm
from fastapi.testclient import TestClient

from triloop.errors import ConfigError
from triloop.server.app import Limits, create_app
from triloop.server.cli import serve_token


@pytest.fixture
def client(tmp_path):
    app = create_app(
        chat_service(easy_chat_llm(), tmp_path, k=3), limits=Limits(max_body_bytes=20_000, max_messages=5)
    )
    with TestClient(app) as c:
        yield c


def sse(response) -> list:
    return [line[6:] for line in response.text.split("\n\n") if line.startswith("data: ")]


def test_completion_runs_the_team_and_reports_run_and_usage(client):
    body = {"model": "triloop", "messages": [{"role": "user", "content": "What is 3*4?"}]}
    out = client.post("/v1/chat/completions", json=body).json()
    # the answer first, then how sure the team is
    assert (
        out["object"] == "chat.completion"
        and out["choices"][0]["message"]["content"] == "12\n\n(settled easy)"
    )
    assert out["usage"]["total_tokens"] > 0
    run_id = out["triloop"]["run_id"]
    assert out["triloop"]["result"]["stopped_by"] == "easy"
    trace = client.get(f"/runs/{run_id}").json()
    assert any(e.get("type") == "decision" for e in trace["events"])
    report = client.get(f"/runs/{run_id}/report")
    assert report.status_code == 200 and "<html" in report.text.lower()


def test_streamed_completion_puts_steps_in_reasoning_then_the_answer_usage_and_done(client):
    body = {
        "model": "triloop:triloop",
        "stream": True,
        "messages": [{"role": "user", "content": "What is 3*4?"}],
    }
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        response.read()
    data = sse(response)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    reasoning = "".join(c["choices"][0]["delta"].get("reasoning_content", "") for c in chunks if c["choices"])
    content = "".join(c["choices"][0]["delta"].get("content", "") or "" for c in chunks if c["choices"])
    assert "[triage]" in reasoning and "[score]" in reasoning
    assert content == "12\n\n(settled easy)"  # plain clients see the answer and its label, no steps
    assert chunks[-1]["usage"]["total_tokens"] > 0 and chunks[-1]["triloop"]["run_id"]


def test_an_explicit_kind_sends_even_a_greeting_to_the_team(client):
    body = {
        "model": "triloop",
        "messages": [{"role": "user", "content": "hi there"}],  # routed to one direct call by itself
        "triloop": {"kind": "general"},
    }
    out = client.post("/v1/chat/completions", json=body).json()
    result = out["triloop"]["result"]
    assert (result["kind"], result["outcome"]) == ("general", "easy")
    trace = client.get(f"/runs/{result['run_id']}").json()
    intake = next(e for e in trace["events"] if e.get("type") == "intake")
    assert (intake["kind"], intake["decided_by"]) == ("general", "explicit")
    bad = client.post("/v1/chat/completions", json={**body, "triloop": {"kind": "ml"}})
    assert bad.status_code in (400, 422)


def test_steps_in_content_when_asked_and_direct_answers_stream_tokens(client):
    body = {
        "model": "triloop:direct",
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
        "triloop": {"steps_in_content": True},
    }
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        response.read()
    chunks = [json.loads(d) for d in sse(response)[:-1]]
    content = "".join(c["choices"][0]["delta"].get("content", "") or "" for c in chunks if c["choices"])
    assert content.strip() == "Hello, how can I help?"
    assert len([c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]) > 2


def test_models_and_health(client):
    ids = [m["id"] for m in client.get("/v1/models").json()["data"]]
    assert "triloop" in ids and "triloop:sc" in ids and "triloop:direct" in ids
    assert client.get("/healthz").json() == {"ok": True}


@pytest.mark.parametrize(
    "body,status,fragment",
    [
        ({"model": "triloop", "messages": []}, 400, "messages"),
        ({"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}, 404, "unknown model"),
        ({"model": "triloop", "messages": [{"role": "assistant", "content": "hi"}]}, 400, "user message"),
        ({"model": "triloop", "messages": [{"role": "user", "content": "x"}] * 6}, 400, "more than 5"),
        ({"model": "triloop", "messages": [{"role": "user", "content": "x" * 30_000}]}, 413, "bytes"),
        ({"messages": [{"role": "user", "content": "hi"}]}, 400, "model"),
    ],
)
def test_bad_requests_get_openai_shaped_errors(client, body, status, fragment):
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert fragment in error["message"] and error["type"]


def test_runs_cannot_name_files_outside_the_run_directory(client):
    for bad in ("..%2F..%2Fetc%2Fpasswd", "%2E%2E", "a%2F..%2Fb", ".hidden", "x%00y"):
        assert client.get(f"/runs/{bad}").status_code == 404
    assert client.get("/static/..%2Fapp.py").status_code == 404


def test_the_page_and_its_chat_stream(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert client.get("/static/app.js").status_code == 200
    with client.stream("POST", "/api/chat", json={"text": "What is 3*4?"}) as response:
        response.read()
    events = [json.loads(d) for d in sse(response)]
    assert events[0]["type"] == "thread" and events[-1]["type"] == "answer"
    tid = events[0]["thread_id"]
    assert client.get("/api/threads").json()["threads"][0]["thread_id"] == tid
    history = client.get(f"/api/threads/{tid}").json()["messages"]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert client.get("/api/threads/chat-nope").status_code == 404


def test_a_token_is_required_when_set(tmp_path):
    app = create_app(chat_service(easy_chat_llm(), tmp_path), token="s3cret")
    with TestClient(app) as c:
        body = {"model": "triloop", "messages": [{"role": "user", "content": "hi"}]}
        refused = c.post("/v1/chat/completions", json=body)
        assert refused.status_code == 401 and refused.json()["error"]["type"] == "authentication_error"
        assert c.get("/v1/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200  # the page asks for it


def test_a_public_address_needs_a_token(monkeypatch):
    monkeypatch.delenv("TRILOOP_API_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="TRILOOP_API_TOKEN"):
        serve_token("0.0.0.0", None)
    assert serve_token("127.0.0.1", None) is None
    assert serve_token("0.0.0.0", "t") == "t"
    monkeypatch.setenv("TRILOOP_API_TOKEN", "env-token")
    assert serve_token("::1", None) == "env-token"


def test_serve_refuses_a_public_address_without_a_token_and_says_why(tmp_path):
    import os
    import subprocess
    import sys

    cli = [sys.executable, "-c", "from triloop.cli import main; main()"]  # the console script's body
    env = {k: v for k, v in os.environ.items() if k != "TRILOOP_API_TOKEN"}
    env["TRILOOP_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [*cli, "serve", "--host", "0.0.0.0"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "TRILOOP_API_TOKEN" in done.stderr and "Traceback" not in done.stderr


def test_a_model_server_error_mid_turn_is_an_error_event_not_a_cut_stream(tmp_path):
    from triloop.errors import LLMTimeoutError

    class TimingOut(StreamingFakeLLM):
        def stream(self, messages, **kwargs):
            raise LLMTimeoutError("the model server did not answer in time")
            yield  # a generator, like the real one

    app = create_app(chat_service(TimingOut(easy_chat_llm().rules), tmp_path))
    with TestClient(app) as c:
        with c.stream("POST", "/api/chat", json={"text": "hi", "mode": "direct"}) as response:
            response.read()
        events = [json.loads(d) for d in sse(response)]
        assert events[-1]["type"] == "error" and "did not answer" in events[-1]["message"]
        body = {"model": "triloop:direct", "messages": [{"role": "user", "content": "hi"}]}
        out = c.post("/v1/chat/completions", json=body).json()
        assert (
            out["triloop"]["status"] == "error"
            and "did not answer" in out["choices"][0]["message"]["content"]
        )


def test_a_client_leaving_stops_the_turn_while_it_waits_for_its_next_event():
    """The stream's wait for the next event is cancelled when the client goes away, so the turn is
    stopped at once, not when its next event (perhaps its final answer) finally arrives."""
    import threading

    import anyio

    from triloop.server.app import _stream

    gate, closed, answered = threading.Event(), threading.Event(), threading.Event()

    def events():
        yield {"type": "step"}
        gate.wait(5)  # a long model call
        answered.set()
        yield {"type": "answer"}

    async def leave_after_first_event() -> None:
        stream = _stream(events(), closed.set)
        assert await stream.__anext__() == {"type": "step"}
        with anyio.move_on_after(0.2):  # the client goes away mid-wait
            await stream.__anext__()

    anyio.run(leave_after_first_event)
    stopped_before_the_answer = closed.is_set() and not answered.is_set()
    gate.set()
    assert stopped_before_the_answer
