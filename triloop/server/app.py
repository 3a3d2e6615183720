"""``triloop serve``: the chat page, its event stream, the OpenAI-compatible API and run reports.

One ASGI app over one :class:`~triloop.chat.service.ChatService` (injected). Each chat turn runs in a
worker thread and streams its events as server-sent events; a client that goes away stops its turn
(the chat is kept). Security: a bearer token is required when ``token`` is set (``serve`` refuses a
non-loopback address without one), request bodies and message counts are bounded, errors are JSON in
the OpenAI shape, and no route serves files other than the page's own and the run data directory's.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from importlib import resources
from typing import Any, Literal

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from triloop.chat.service import ChatError, ChatService, Mode, new_thread_id
from triloop.errors import TriloopError, validation_problems
from triloop.server.openai_api import (
    APIError,
    ChatCompletionRequest,
    CompletionStream,
    completion_body,
    mode_of,
    models_body,
)

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")
STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
OPEN_PATHS = {"/healthz", "/", "/static/app.js", "/static/style.css"}  # the page asks for the token itself


class Limits(BaseModel):
    max_body_bytes: int = Field(1_000_000, gt=0)
    max_messages: int = Field(200, gt=0)


class ChatIn(BaseModel):
    text: str = Field(min_length=1, max_length=100_000)
    thread_id: str | None = None
    mode: Mode = "auto"
    strategy: str | None = None
    kind: Literal["coding", "general"] | None = None  # what the person wants; default: decided per message
    budget_tokens: int | None = Field(None, ge=100)


class PauseIn(BaseModel):
    go_on: bool


def _sse(event: dict[str, Any]) -> str:
    return f"data: {json.dumps(event, default=str)}\n\n"


def _drain(events: Iterator[Any]) -> None:
    """Run a stopped turn's events to their end in the background, so its thread is released."""
    for _ in range(600):
        try:
            for _ in events:
                pass
            return
        except ValueError:  # "generator already executing": the last next() is still in its worker
            time.sleep(0.1)


async def _stream(events: Iterator[Any], on_close: Callable[[], None]) -> AsyncIterator[Any]:
    """Iterate a blocking event generator from worker threads; when the client goes away (or the
    stream ends), ``on_close`` stops the turn and the rest drains in the background."""
    done = False
    try:
        while True:
            # abandon_on_cancel: a client that leaves cancels this wait at once, so the turn is stopped
            # now, not when its next event (perhaps its answer) arrives
            item = await anyio.to_thread.run_sync(next, events, None, abandon_on_cancel=True)
            if item is None:
                done = True
                return
            yield item
    finally:
        if not done:
            on_close()
            threading.Thread(target=_drain, args=(events,), daemon=True).start()


def create_app(service: ChatService, *, token: str | None = None, limits: Limits | None = None) -> FastAPI:
    """The app. ``service`` runs the chats; ``token`` (when set) is required as ``Bearer`` on every
    route except the health check and the page's own files."""
    limits = limits or Limits()
    app = FastAPI(title="triloop", docs_url=None, redoc_url=None, openapi_url=None)
    runs = service.runs

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        if token and request.url.path not in OPEN_PATHS:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return _error(
                    APIError(401, "missing or wrong bearer token", "authentication_error", "unauthorized")
                )
        size = request.headers.get("content-length")
        if size is not None and (not size.isdigit() or int(size) > limits.max_body_bytes):
            return _error(APIError(413, f"request body over {limits.max_body_bytes} bytes", code="too_large"))
        return await call_next(request)

    @app.exception_handler(APIError)
    async def api_error(_: Request, exc: APIError) -> JSONResponse:
        return _error(exc)

    @app.exception_handler(ChatError)
    async def chat_error(_: Request, exc: ChatError) -> JSONResponse:
        return _error(APIError(409 if "already" in str(exc) else 404, str(exc)))

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = validation_problems(exc)
        return _error(APIError(400, f"invalid request: {problems}"))

    # --- page and health -----------------------------------------------------------------------------

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse(_asset("index.html"))

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in STATIC:
            raise APIError(404, "no such file", code="not_found")
        return Response(_asset(name), media_type=STATIC[name])

    # --- the page's chat API -------------------------------------------------------------------------

    @app.get("/api/threads")
    async def threads() -> dict[str, Any]:
        return {"threads": await anyio.to_thread.run_sync(service.threads)}

    @app.get("/api/threads/{thread_id}")
    async def thread(thread_id: str) -> dict[str, Any]:
        messages = await anyio.to_thread.run_sync(service.history, thread_id)
        return {"thread_id": thread_id, "messages": messages, "pause": service.pending_pause(thread_id)}

    @app.post("/api/chat")
    async def chat(body: ChatIn) -> StreamingResponse:
        tid = body.thread_id or new_thread_id()
        config: dict[str, Any] = {"strategy": body.strategy} if body.strategy else {}
        if body.budget_tokens:
            config["budgets"] = {"max_tokens": body.budget_tokens}
        mode = body.mode if not (body.strategy or body.kind) else "work"
        return _events(
            tid,
            lambda stop: service.send(tid, body.text, mode=mode, config=config, stop=stop, kind=body.kind),
        )

    @app.post("/api/threads/{thread_id}/pause")
    async def pause(thread_id: str, body: PauseIn) -> StreamingResponse:
        return _events(thread_id, lambda stop: service.answer_pause(thread_id, body.go_on, stop=stop))

    @app.post("/api/threads/{thread_id}/stop")
    async def stop(thread_id: str) -> dict[str, Any]:
        service.stop(thread_id)
        return {"stopping": thread_id}

    def _events(tid: str, start: Callable[[threading.Event], Iterator[dict[str, Any]]]) -> StreamingResponse:
        # this request's own stop event: a client that leaves stops its turn (even one not started
        # yet), never another client's turn on the same chat
        stop = threading.Event()

        def events() -> Iterator[str]:
            yield _sse({"type": "thread", "thread_id": tid})
            try:
                for event in start(stop):
                    yield _sse(event)
            except TriloopError as exc:  # a busy chat, a model server that timed out: said, not cut off
                yield _sse({"type": "error", "message": str(exc)})

        return StreamingResponse(_stream(events(), stop.set), media_type="text/event-stream")

    # --- OpenAI-compatible ---------------------------------------------------------------------------

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return models_body()

    @app.post("/v1/chat/completions", response_model=None)
    async def completions(body: ChatCompletionRequest) -> Any:
        mode, config = mode_of(body.model)
        config["interactive"] = False  # an API client cannot answer a budget pause: stop with the best
        if len(body.messages) > limits.max_messages:
            raise APIError(400, f"more than {limits.max_messages} messages", code="too_many_messages")
        last = body.messages[-1]
        if last.role != "user" or not last.text().strip():
            raise APIError(400, "the last message must be a non-empty user message")
        tid = body.triloop.thread_id or new_thread_id()
        earlier = [
            {"role": m.role, "content": m.text()}
            for m in body.messages[:-1]
            if m.role in ("user", "assistant")
        ]
        if not body.triloop.thread_id and earlier:
            await anyio.to_thread.run_sync(service.seed, tid, earlier)

        stop = threading.Event()  # this request's turn only (see _events)

        def turn() -> Iterator[dict[str, Any]]:
            try:
                for event in service.send(
                    tid, last.text(), mode=mode, config=config, stop=stop, kind=body.triloop.kind
                ):
                    yield {"thread_id": tid, **event}
            except TriloopError as exc:
                yield {"type": "error", "message": str(exc), "thread_id": tid}

        if body.stream:
            lines = CompletionStream(body.model, body.triloop.steps_in_content).lines(turn())
            return StreamingResponse(_stream(lines, stop.set), media_type="text/event-stream")

        def last_event() -> dict[str, Any]:
            final: dict[str, Any] = {"type": "error", "message": "the turn produced no answer"}
            for event in turn():
                if event.get("type") in ("answer", "pause", "stopped", "error"):
                    final = event
            return final

        return completion_body(body.model, await anyio.to_thread.run_sync(last_event))

    # --- runs ----------------------------------------------------------------------------------------

    @app.get("/runs/{run_id}")
    async def run(run_id: str) -> dict[str, Any]:
        return {"run_id": run_id, "events": await anyio.to_thread.run_sync(_trace_of, runs, _run_id(run_id))}

    @app.get("/runs/{run_id}/report", response_class=HTMLResponse)
    async def report(run_id: str) -> HTMLResponse:
        from triloop.graphs.report import write_report

        rid = _run_id(run_id)
        events = await anyio.to_thread.run_sync(_trace_of, runs, rid)
        target = await anyio.to_thread.run_sync(write_report, events, runs.report(rid), rid)
        return HTMLResponse(target.read_text(encoding="utf-8"))

    return app


def _run_id(run_id: str) -> str:
    """A run id that can only name a file inside the run data directory."""
    if not RUN_ID.match(run_id) or ".." in run_id:
        raise APIError(404, f"no run {run_id!r}", code="not_found")
    return run_id


def _trace_of(runs: Any, run_id: str) -> list[dict[str, Any]]:
    """A run's trace events, or a 404."""
    from triloop.graphs.store import TraceNotFoundError

    try:
        return runs.events(run_id)
    except TraceNotFoundError:
        raise APIError(404, f"no run {run_id!r}", code="not_found") from None


def _asset(name: str) -> str:
    return resources.files("triloop.server").joinpath("web", name).read_text(encoding="utf-8")


def _error(exc: APIError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status)
