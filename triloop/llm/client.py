"""One OpenAI-compatible client for every endpoint: OpenAI, vLLM, Ollama, llama.cpp, LiteLLM.

It resolves each role (solver, reviewer, refiner) to its endpoint, starts the embedded model when no
endpoint is configured, retries transient failures with bounded backoff, limits concurrency per
endpoint, records usage per role, and turns answers into pydantic objects. Sync and async calls share
one implementation: each call is a dialogue (a generator of requests) that both drivers feed: the
structured-output dialogue, and the free-text one that offers native ``tools`` and falls back to plain
text when the endpoint refuses them (see :mod:`triloop.llm.tools_native`).

The embedded server may be one that another process started and has since taken down with it: a call
that cannot reach it (after its retries) moves, once, to a live server, adopted or started (see
:meth:`~triloop.llm.local.LocalServer.restart`), and is sent again there.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Any

import openai

from triloop.config import ModelSettings, Settings, load_settings
from triloop.errors import (
    LLMBadRequestError,
    LLMCancelled,
    LLMConnectionError,
    LLMError,
)
from triloop.llm.base import Completion, Message, NativeToolCall, Role, SchemaT
from triloop.llm.cancel import CANCEL, stream_cancellable
from triloop.llm.dialogue import Dialogue, Request, advance, bad_request_as_answer
from triloop.llm.local import LocalServer
from triloop.llm.retry import async_retrying, sync_retrying, translate
from triloop.llm.structured import StructuredMode, structured_dialogue
from triloop.llm.tools_native import offer_tools, parse_tool_calls
from triloop.llm.usage import UsageLedger


@dataclass
class _Endpoint:
    settings: ModelSettings
    base_url: str
    sync: openai.OpenAI
    async_: openai.AsyncOpenAI
    slots: threading.BoundedSemaphore


class LLMClient:
    """The :class:`~triloop.llm.base.LLM` implementation. Close it (or use ``with``) to stop a local server."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.usage = UsageLedger()
        self._endpoints: dict[str, _Endpoint] = {}
        self._servers: dict[str, LocalServer] = {}
        self._modes: dict[str, StructuredMode] = {}  # best structured mode each endpoint accepted
        self._no_tools: set[str] = set()  # endpoints (keys) that refused native tools
        self._async_slots: dict[tuple[str, int], asyncio.Semaphore] = {}
        self._lock = threading.Lock()

    # -- endpoints ------------------------------------------------------------------------------
    def endpoint(self, role: Role = "default") -> _Endpoint:
        """The endpoint serving ``role``, starting the embedded model on first use."""
        cfg = self.settings.for_role(role)
        key = _key(cfg)
        with self._lock:
            if key not in self._endpoints:
                self._endpoints[key] = self._open(cfg)
            return self._endpoints[key]

    def _open(self, cfg: ModelSettings) -> _Endpoint:
        if cfg.is_local:
            server = self._servers.setdefault(cfg.model, LocalServer(cfg.model, self.settings.local))
            base_url = server.start()
        elif cfg.base_url:
            base_url = cfg.base_url
        else:
            raise LLMError(f"model {cfg.model!r} needs an endpoint: set TRILOOP_LLM__BASE_URL")
        key = cfg.api_key.get_secret_value() if cfg.api_key else "not-needed"
        common: dict[str, Any] = {
            "base_url": base_url,
            "api_key": key,
            "timeout": cfg.timeout_s,
            "max_retries": 0,
        }
        return _Endpoint(
            settings=cfg,
            base_url=base_url,
            sync=openai.OpenAI(**common),
            async_=openai.AsyncOpenAI(**common),
            slots=threading.BoundedSemaphore(cfg.max_concurrency),
        )

    def _revive(self, ep: _Endpoint, error: LLMConnectionError) -> _Endpoint:
        """An endpoint on a live embedded server in place of ``ep``, which could not be reached.

        ``error`` is raised again for any other endpoint: only the embedded server can be restarted.
        Concurrent calls that failed on the same ``ep`` share one replacement.
        """
        if not ep.settings.is_local:
            raise error
        key = _key(ep.settings)
        with self._lock:
            if self._endpoints.get(key) is ep:
                self._servers[ep.settings.model].restart()
                self._endpoints[key] = self._open(ep.settings)
            return self._endpoints[key]

    def _async_slot(self, ep: _Endpoint) -> asyncio.Semaphore:
        key = (ep.base_url, id(asyncio.get_running_loop()))
        with self._lock:
            return self._async_slots.setdefault(key, asyncio.Semaphore(ep.settings.max_concurrency))

    def close(self) -> None:
        for ep in self._endpoints.values():
            ep.sync.close()
        self._endpoints.clear()
        for server in self._servers.values():
            server.stop()
        self._servers.clear()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one call --------------------------------------------------------------------------------
    def _params(self, ep: _Endpoint, req: Request, stream: bool = False) -> dict[str, Any]:
        cfg = ep.settings
        params: dict[str, Any] = {
            "model": cfg.model,
            "messages": req.messages,
            "temperature": cfg.temperature if req.temperature is None else req.temperature,
            "max_tokens": req.max_tokens or cfg.max_tokens,
        }
        if req.stop:
            params["stop"] = req.stop
        if req.response_format:
            params["response_format"] = req.response_format
        if req.tools:
            params["tools"] = req.tools
            params["tool_choice"] = "auto"
        if stream:
            params["stream"] = True
            params["stream_options"] = {"include_usage": True}
        return params

    def _record(
        self,
        text: str,
        usage: Any,
        role: Role,
        model: str,
        started: float,
        finish_reason: str | None = None,
        tool_calls: list[NativeToolCall] | None = None,
    ) -> Completion:
        """The answer with its cost, entered in the usage ledger (one place for plain and streamed calls)."""
        result = Completion(
            text=text,
            role=role,
            model=model,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            latency_s=time.perf_counter() - started,
            finish_reason=finish_reason,
            tool_calls=tool_calls or [],
        )
        self.usage.record(result)
        return result

    def _completion(self, response: Any, role: Role, model: str, started: float) -> Completion:
        choice = response.choices[0]
        text, calls = choice.message.content or "", parse_tool_calls(choice.message)
        return self._record(text, response.usage, role, model, started, choice.finish_reason, calls)

    def _send(self, req: Request, role: Role) -> Completion:
        ep = self.endpoint(role)
        try:
            return self._send_to(ep, req, role)
        except LLMConnectionError as exc:
            ep = self._revive(ep, exc)
        return self._send_to(ep, req, role)

    def _send_to(self, ep: _Endpoint, req: Request, role: Role) -> Completion:
        started = time.perf_counter()
        retrying = sync_retrying(self.settings.retry)
        cancel = CANCEL.get()
        try:
            with ep.slots:
                if cancel is not None and cancel.is_set():
                    raise LLMCancelled("the run was stopped")
                if cancel is not None and not req.tools:  # a run that may be stopped: streamed, cancellable
                    params = self._params(ep, req, stream=True)

                    def open_stream() -> Any:
                        for attempt in retrying:
                            with attempt:
                                if cancel.is_set():  # not retryable: no new request after a stop
                                    raise LLMCancelled("the run was stopped")
                                return ep.sync.chat.completions.create(**params)

                    text, usage, finish = stream_cancellable(open_stream, cancel)
                    return self._record(text, usage, role, ep.settings.model, started, finish)
                for attempt in retrying:
                    with attempt:
                        response = ep.sync.chat.completions.create(**self._params(ep, req))
        except (openai.OpenAIError, ValueError) as exc:
            raise translate(exc, ep.base_url, retrying.statistics.get("attempt_number")) from None
        return self._completion(response, role, ep.settings.model, started)

    async def _asend(self, req: Request, role: Role) -> Completion:
        ep = await asyncio.to_thread(self.endpoint, role)
        try:
            return await self._asend_to(ep, req, role)
        except LLMConnectionError as exc:
            ep = await asyncio.to_thread(self._revive, ep, exc)
        return await self._asend_to(ep, req, role)

    async def _asend_to(self, ep: _Endpoint, req: Request, role: Role) -> Completion:
        started = time.perf_counter()
        retrying = async_retrying(self.settings.retry)
        try:
            async with self._async_slot(ep):
                async for attempt in retrying:
                    with attempt:
                        response = await ep.async_.chat.completions.create(**self._params(ep, req))
        except (openai.OpenAIError, ValueError) as exc:
            raise translate(exc, ep.base_url, retrying.statistics.get("attempt_number")) from None
        return self._completion(response, role, ep.settings.model, started)

    def _drive(self, dialogue: Dialogue, role: Role) -> Any:
        """Send each request the dialogue yields, feed back the answer (a 400 as data); its result."""
        step = advance(dialogue, None)
        while isinstance(step, Request):
            step = advance(dialogue, bad_request_as_answer(self._send, step, role))
        return step.value

    async def _adrive(self, dialogue: Dialogue, role: Role) -> Any:
        """:meth:`_drive` for async calls."""
        step = advance(dialogue, None)
        while isinstance(step, Request):
            try:
                answer: Completion | Exception = await self._asend(step, role)
            except LLMBadRequestError as exc:
                answer = exc
            step = advance(dialogue, answer)
        return step.value

    # -- free text (native tools offered where the endpoint takes them) ---------------------------
    def wants_tools(self, role: Role) -> bool:
        """Whether a call for ``role`` offers native ``tools`` now (setting, endpoint kind, past refusal)."""
        cfg = self.settings.for_role(role)
        return offer_tools(cfg, _key(cfg) in self._no_tools)

    def _text_dialogue(self, request: Request, role: Role) -> Dialogue:
        """One call; if the endpoint refuses ``tools`` (a 400 that names them), once more without them,
        and remember that. Any other 400 (e.g. context too long) is raised at once."""
        if request.tools and not self.wants_tools(role):
            request = replace(request, tools=None)
        answer = yield request
        if isinstance(answer, LLMBadRequestError) and request.tools and "tool" in str(answer).lower():
            answer = yield replace(request, tools=None)
            if isinstance(answer, Completion):  # the 400 was about tools: the JSON action protocol takes over
                self._no_tools.add(_key(self.settings.for_role(role)))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def complete(
        self,
        messages: list[Message],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        tools: list[dict] | None = None,
    ) -> Completion:
        request = Request(messages, temperature, max_tokens, stop, tools=tools)
        return self._drive(self._text_dialogue(request, role), role)

    async def acomplete(
        self,
        messages: list[Message],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        tools: list[dict] | None = None,
    ) -> Completion:
        request = Request(messages, temperature, max_tokens, stop, tools=tools)
        return await self._adrive(self._text_dialogue(request, role), role)

    def stream(
        self,
        messages: list[Message],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Generator[str, None, Completion]:
        """Yield text as it is generated (connection errors are retried only before the first token);
        the generator's return value is the whole :class:`Completion` with its token counts."""
        ep = self.endpoint(role)
        started = time.perf_counter()
        req = Request(messages, temperature, max_tokens)
        parts: list[str] = []
        try:
            usage = yield from self._stream_from(ep, req, parts)
        except LLMConnectionError as exc:
            if parts:  # text already went out: sending again would repeat it
                raise
            ep = self._revive(ep, exc)
            usage = yield from self._stream_from(ep, req, parts)
        return self._record("".join(parts), usage, role, ep.settings.model, started)

    def _stream_from(self, ep: _Endpoint, req: Request, parts: list[str]) -> Generator[str, None, Any]:
        """Yield the text of one streamed call to ``ep``, also appended to ``parts``; return its usage."""
        retrying = sync_retrying(self.settings.retry)
        usage = None
        try:
            with ep.slots:
                for attempt in retrying:
                    with attempt:
                        chunks = ep.sync.chat.completions.create(**self._params(ep, req, stream=True))
                for chunk in chunks:
                    usage = chunk.usage or usage
                    if chunk.choices and chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
                        yield chunk.choices[0].delta.content
        except (openai.OpenAIError, ValueError) as exc:
            raise translate(exc, ep.base_url, retrying.statistics.get("attempt_number")) from None
        return usage

    # -- structured output ---------------------------------------------------------------------------
    def _structured_dialogue(
        self,
        messages: list[Message],
        schema: type[SchemaT],
        role: Role,
        temperature: float | None,
        max_tokens: int | None,
    ) -> Generator[Request, Completion | Exception, SchemaT]:
        """The structured-output dialogue, starting at the mode this endpoint last accepted."""
        endpoint = _key(self.settings.for_role(role))
        return structured_dialogue(messages, schema, self._modes, endpoint, temperature, max_tokens)

    def structured(
        self,
        messages: list[Message],
        schema: type[SchemaT],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> SchemaT:
        return self._drive(self._structured_dialogue(messages, schema, role, temperature, max_tokens), role)

    async def astructured(
        self,
        messages: list[Message],
        schema: type[SchemaT],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> SchemaT:
        dialogue = self._structured_dialogue(messages, schema, role, temperature, max_tokens)
        return await self._adrive(dialogue, role)


def _key(cfg: ModelSettings) -> str:
    """One endpoint: where it is and which model it serves."""
    return f"{cfg.base_url or 'local'}|{cfg.model}"
