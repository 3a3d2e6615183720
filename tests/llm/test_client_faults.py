"""The LLM client against a fault-injecting stub: bounded retries, Retry-After, named errors,
structured-output fallbacks and repair, usage accounting, the concurrency limit and native tool calls."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import BaseModel

from tests.llm.fault_server import FaultServer
from triloop.config import ModelSettings, load_settings
from triloop.errors import (
    LLMAuthError,
    LLMBadRequestError,
    LLMConnectionError,
    LLMError,
    LLMRateLimitError,
    LLMServerError,
    LLMTimeoutError,
    StructuredOutputError,
)
from triloop.llm.client import LLMClient
from triloop.llm.tools_native import offer_tools

MSG = [{"role": "user", "content": "hi"}]


def client_for(url: str, attempts: int = 4, total: float = 30.0, timeout: float = 5.0, **llm) -> LLMClient:
    settings = load_settings(
        llm={"base_url": url, "model": "stub", "timeout_s": timeout, **llm},
        retry={
            "max_attempts": attempts,
            "max_total_s": total,
            "initial_backoff_s": 0.05,
            "max_backoff_s": 0.2,
        },
    )
    return LLMClient(settings)


def test_429_retry_after_is_honoured_then_succeeds():
    with FaultServer(
        [("status", 429, {"Retry-After": "1"}, {"error": {"message": "slow down"}}), ("ok", "fine")]
    ) as srv:
        result = client_for(srv.url).complete(MSG)
    assert result.text == "fine"
    assert len(srv.requests) == 2
    gap = srv.requests[1][0] - srv.requests[0][0]
    assert 0.9 <= gap < 3.0, f"waited {gap:.2f}s, Retry-After said 1s"


def test_5xx_is_retried_with_backoff_then_succeeds():
    with FaultServer([("status", 500, {}, {}), ("status", 503, {}, {}), ("ok", "done")]) as srv:
        assert client_for(srv.url).complete(MSG).text == "done"
    assert len(srv.requests) == 3


def test_persistent_5xx_stops_after_max_attempts():
    with FaultServer([("status", 500, {}, {})] * 10) as srv:
        with pytest.raises(LLMServerError, match="after 3 attempts"):
            client_for(srv.url, attempts=3).complete(MSG)
    assert len(srv.requests) == 3


def test_total_time_bounds_retries_even_with_many_attempts_left():
    script = [("status", 429, {"Retry-After": "1"}, {})] * 20
    with FaultServer(script) as srv:
        started = time.monotonic()
        with pytest.raises(LLMRateLimitError):
            client_for(srv.url, attempts=50, total=2.5).complete(MSG)
        elapsed = time.monotonic() - started
    assert elapsed < 5.0
    assert 2 <= len(srv.requests) <= 5


def test_timeout_is_retried_then_named_error():
    with FaultServer([("hang", 1.5), ("hang", 1.5), ("hang", 1.5)]) as srv:
        with pytest.raises(LLMTimeoutError, match="did not answer in time"):
            client_for(srv.url, attempts=2, timeout=0.4).complete(MSG)
    assert len(srv.requests) == 2


@pytest.mark.parametrize(
    ("code", "error"), [(401, LLMAuthError), (403, LLMAuthError), (400, LLMBadRequestError)]
)
def test_non_retryable_errors_surface_at_once(code, error):
    with FaultServer([("status", code, {}, {"error": {"message": "nope"}})] * 3) as srv:
        with pytest.raises(error):
            client_for(srv.url).complete(MSG)
    assert len(srv.requests) == 1


def test_unreachable_endpoint_is_a_connection_error():
    with FaultServer([]) as srv:
        url = srv.url
    with pytest.raises(LLMConnectionError, match="cannot reach"):
        client_for(url, attempts=2).complete(MSG)


def test_malformed_response_body_is_a_named_error():
    with FaultServer([("raw", "this is {not json")] * 3) as srv, pytest.raises(LLMError):
        client_for(srv.url, attempts=1).complete(MSG)


class Person(BaseModel):
    name: str
    age: int


def test_structured_extracts_fenced_json_from_prose():
    answer = 'Sure! Here it is:\n```json\n{"name": "Ada", "age": 36}\n```\nAnything else?'
    with FaultServer([("ok", answer)]) as srv:
        person = client_for(srv.url).structured(MSG, Person)
    assert person == Person(name="Ada", age=36)
    assert srv.requests[0][1]["response_format"]["type"] == "json_schema"


def test_structured_repairs_once_with_the_validation_error():
    with FaultServer([("ok", '{"name": "Ada"}'), ("ok", '{"name": "Ada", "age": 36}')]) as srv:
        person = client_for(srv.url).structured(MSG, Person)
    assert person.age == 36
    repair_prompt = srv.requests[1][1]["messages"][-1]["content"]
    assert "age" in repair_prompt and "invalid" in repair_prompt


def test_structured_gives_up_after_one_repair():
    with FaultServer([("ok", "no json here"), ("ok", "still none")]) as srv:
        with pytest.raises(StructuredOutputError, match="Person"):
            client_for(srv.url).structured(MSG, Person)
    assert len(srv.requests) == 2


def test_structured_falls_back_when_json_schema_is_refused():
    refused = ("status", 400, {}, {"error": {"message": "response_format json_schema unsupported"}})
    with FaultServer(
        [refused, ("ok", '{"name": "Bo", "age": 5}'), ("ok", '{"name": "Cy", "age": 6}')]
    ) as srv:
        client = client_for(srv.url)
        assert client.structured(MSG, Person).name == "Bo"
        assert client.structured(MSG, Person).name == "Cy"  # remembers the mode that worked
    kinds = [body.get("response_format", {}).get("type") for _, body in srv.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]


def test_usage_is_accounted_per_role():
    with FaultServer([("ok", "a"), ("ok", "b"), ("ok", "c")]) as srv:
        client = client_for(srv.url)
        client.complete(MSG, role="solver")
        client.complete(MSG, role="solver")
        client.complete(MSG, role="reviewer")
    usage = client.usage.snapshot()
    assert usage["solver"].calls == 2 and usage["solver"].prompt_tokens == 14
    assert usage["reviewer"].completion_tokens == 3
    assert client.usage.total().calls == 3


def test_async_calls_respect_the_endpoint_concurrency_limit():
    with FaultServer([("hang", 0.3)] * 6) as srv:
        client = client_for(srv.url, max_concurrency=2)

        async def run() -> list[str]:
            return [c.text for c in await asyncio.gather(*(client.acomplete(MSG) for _ in range(6)))]

        texts = asyncio.run(run())
    assert texts == ["late"] * 6
    assert srv.max_in_flight == 2


def test_role_override_routes_to_its_own_endpoint():
    with FaultServer([("ok", "shared")]) as shared, FaultServer([("ok", "reviewer's")]) as other:
        settings = load_settings(
            llm={"base_url": shared.url, "model": "stub"},
            reviewer={"base_url": other.url, "model": "other-model"},
        )
        client = LLMClient(settings)
        assert client.complete(MSG, role="solver").text == "shared"
        assert client.complete(MSG, role="reviewer").text == "reviewer's"
    assert other.requests[0][1]["model"] == "other-model"


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "run_python",
            "description": "run code",
            "parameters": {
                "type": "object",
                "properties": {"code": {"type": "string"}},
                "required": ["code"],
            },
        },
    }
]
REFUSED = ("status", 400, {}, {"error": {"message": "tools are not supported by this server"}})


def test_tools_are_sent_to_a_remote_endpoint_and_tool_calls_parsed():
    calls = [("run_python", {"code": "print(1)"}), ("run_python", "{not json")]
    with FaultServer([("tool_calls", calls)]) as srv:
        result = client_for(srv.url).complete(MSG, tools=TOOLS)
    body = srv.requests[0][1]
    assert body["tools"] == TOOLS and body["tool_choice"] == "auto"
    assert result.text == "" and result.finish_reason == "tool_calls"
    first, second = result.tool_calls
    assert (first.id, first.name, first.arguments) == ("call_0", "run_python", {"code": "print(1)"})
    assert first.arguments_error is None and first.raw_arguments == '{"code": "print(1)"}'
    assert second.id == "call_1" and second.arguments == {} and second.raw_arguments == "{not json"
    assert "not valid JSON" in (second.arguments_error or "")


def test_tools_refused_with_400_are_resent_without_tools_and_remembered():
    with FaultServer([REFUSED, ("ok", "plain text"), ("ok", "again")]) as srv:
        client = client_for(srv.url)
        assert client.complete(MSG, tools=TOOLS).text == "plain text"
        assert client.complete(MSG, tools=TOOLS).text == "again"  # no wasted attempt this time
    assert ["tools" in body for _, body in srv.requests] == [True, False, False]
    assert srv.requests[1][1]["messages"] == srv.requests[0][1]["messages"] == MSG


def test_async_tools_refusal_falls_back_the_same_way():
    with FaultServer([REFUSED, ("ok", "async text")]) as srv:
        client = client_for(srv.url)
        assert asyncio.run(client.acomplete(MSG, tools=TOOLS)).text == "async text"
        assert not client.wants_tools("default")
    assert ["tools" in body for _, body in srv.requests] == [True, False]


def test_a_400_that_is_not_about_tools_surfaces_and_is_not_remembered():
    too_long = ("status", 400, {}, {"error": {"message": "context length exceeded"}})
    with FaultServer([too_long, ("ok", "fine")]) as srv:
        client = client_for(srv.url)
        with pytest.raises(LLMBadRequestError, match="context length"):
            client.complete(MSG, tools=TOOLS)  # raised at once: no resend without tools
        assert client.complete(MSG, tools=TOOLS).text == "fine"
    assert ["tools" in body for _, body in srv.requests] == [True, True]  # tools still offered


def test_native_tools_off_never_sends_tools_and_roles_can_override():
    with FaultServer([("ok", "a"), ("ok", "b")]) as srv:
        settings = load_settings(
            llm={"base_url": srv.url, "model": "stub", "native_tools": "off"},
            solver={"native_tools": "auto"},
        )
        client = LLMClient(settings)
        client.complete(MSG, role="reviewer", tools=TOOLS)
        client.complete(MSG, role="solver", tools=TOOLS)
    assert ["tools" in body for _, body in srv.requests] == [False, True]


def test_embedded_model_gets_no_tools_in_auto_mode():
    local, remote = ModelSettings(model="local"), ModelSettings(base_url="http://x/v1", model="m")
    assert not offer_tools(local, refused=False)  # its server returns no tool_calls: skip the attempt
    assert offer_tools(local.model_copy(update={"native_tools": "on"}), refused=False)
    assert offer_tools(remote, refused=False) and not offer_tools(remote, refused=True)
    assert offer_tools(remote.model_copy(update={"native_tools": "on"}), refused=True)
    assert not offer_tools(remote.model_copy(update={"native_tools": "off"}), refused=False)
    assert not LLMClient(load_settings(llm={"model": "local"})).wants_tools("solver")  # starts no model
