"""One OpenAI-compatible client for every endpoint: OpenAI, vLLM, Ollama, llama.cpp, LiteLLM.

It resolves each role (solver, reviewer, refiner) to its endpoint, starts the embedded model when no
endpoint is configured, retries transient failures with bounded backoff, limits concurrency per
endpoint, records usage per role, and turns answers into pydantic objects. Sync and async calls share
one implementation: the structured-output dialogue is a generator that both drivers feed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import openai

from triloop.config import ModelSettings, Settings, load_settings
from triloop.errors import LLMBadRequestError, LLMError, StructuredOutputError
from triloop.llm.base import Completion, Message, Role, SchemaT
from triloop.llm.local import LocalServer
from triloop.llm.retry import async_retrying, sync_retrying, translate
from triloop.llm.structured import MODES, StructuredMode, parse_as, response_format, schema_instruction
from triloop.llm.usage import UsageLedger


@dataclass
class _Request:
    """One chat-completions call, as data, so sync and async drivers can both send it."""

    messages: list[Message]
    temperature: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    response_format: dict | None = None


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
        self._async_slots: dict[tuple[str, int], asyncio.Semaphore] = {}
        self._lock = threading.Lock()

    # -- endpoints ------------------------------------------------------------------------------
    def endpoint(self, role: Role = "default") -> _Endpoint:
        """The endpoint serving ``role``, starting the embedded model on first use."""
        cfg = self.settings.for_role(role)
        key = f"{cfg.base_url or 'local'}|{cfg.model}"
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
    def _params(self, ep: _Endpoint, req: _Request, stream: bool = False) -> dict[str, Any]:
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
        if stream:
            params["stream"] = True
            params["stream_options"] = {"include_usage": True}
        return params

    def _record(
        self, text: str, usage: Any, role: Role, model: str, started: float, finish_reason: str | None = None
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
        )
        self.usage.record(result)
        return result

    def _completion(self, response: Any, role: Role, model: str, started: float) -> Completion:
        choice = response.choices[0]
        return self._record(
            choice.message.content or "", response.usage, role, model, started, choice.finish_reason
        )

    def _send(self, req: _Request, role: Role) -> Completion:
        ep = self.endpoint(role)
        started = time.perf_counter()
        retrying = sync_retrying(self.settings.retry)
        try:
            with ep.slots:
                for attempt in retrying:
                    with attempt:
                        response = ep.sync.chat.completions.create(**self._params(ep, req))
        except (openai.OpenAIError, ValueError) as exc:
            raise translate(exc, ep.base_url, retrying.statistics.get("attempt_number")) from None
        return self._completion(response, role, ep.settings.model, started)

    async def _asend(self, req: _Request, role: Role) -> Completion:
        ep = await asyncio.to_thread(self.endpoint, role)
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

    # -- free text ---------------------------------------------------------------------------------
    def complete(
        self,
        messages: list[Message],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
    ) -> Completion:
        return self._send(_Request(messages, temperature, max_tokens, stop), role)

    async def acomplete(
        self,
        messages: list[Message],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
    ) -> Completion:
        return await self._asend(_Request(messages, temperature, max_tokens, stop), role)

    def stream(
        self,
        messages: list[Message],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Iterator[str]:
        """Yield text as it is generated (connection errors are retried only before the first token)."""
        ep = self.endpoint(role)
        started = time.perf_counter()
        req = _Request(messages, temperature, max_tokens)
        retrying = sync_retrying(self.settings.retry)
        parts: list[str] = []
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
        self._record("".join(parts), usage, role, ep.settings.model, started)

    # -- structured output ---------------------------------------------------------------------------
    def _structured_dialogue(
        self,
        messages: list[Message],
        schema: type[SchemaT],
        role: Role,
        temperature: float | None,
        max_tokens: int | None,
    ) -> Generator[_Request, Completion | Exception, SchemaT]:
        """Ask in the strongest mode the endpoint accepts; one repair round on a parse failure."""
        cfg = self.settings.for_role(role)
        ep_key = cfg.base_url or cfg.model
        prompt = [{"role": "system", "content": schema_instruction(schema)}, *messages]
        start = MODES.index(self._modes.get(ep_key, "json_schema"))
        for mode in MODES[start:]:
            answer = yield _Request(prompt, temperature, max_tokens, None, response_format(schema, mode))
            if isinstance(answer, LLMBadRequestError) and mode != "text":
                continue  # the endpoint refuses this response_format: try a weaker one
            if isinstance(answer, Exception):
                raise answer
            self._modes[ep_key] = mode
            try:
                return parse_as(answer.text, schema)
            except ValueError as first_error:
                repair = [
                    *prompt,
                    {"role": "assistant", "content": answer.text},
                    {
                        "role": "user",
                        "content": f"That answer was invalid: {first_error}. "
                        "Reply with the corrected JSON object only.",
                    },
                ]
                fixed = yield _Request(repair, temperature, max_tokens, None, response_format(schema, mode))
                if isinstance(fixed, Exception):
                    raise fixed from None
                try:
                    return parse_as(fixed.text, schema)
                except ValueError as second_error:
                    raise StructuredOutputError(
                        f"model answer is not a valid {schema.__name__} after one repair round: {second_error}"
                    ) from None
        raise StructuredOutputError(f"endpoint accepted no structured-output mode for {schema.__name__}")

    def structured(
        self,
        messages: list[Message],
        schema: type[SchemaT],
        *,
        role: Role = "default",
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> SchemaT:
        dialogue = self._structured_dialogue(messages, schema, role, temperature, max_tokens)
        request = next(dialogue)
        while True:
            try:
                answer: Completion | Exception = self._send(request, role)
            except LLMBadRequestError as exc:
                answer = exc
            try:
                request = dialogue.send(answer)
            except StopIteration as done:
                return done.value

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
        request = next(dialogue)
        while True:
            try:
                answer: Completion | Exception = await self._asend(request, role)
            except LLMBadRequestError as exc:
                answer = exc
            try:
                request = dialogue.send(answer)
            except StopIteration as done:
                return done.value
