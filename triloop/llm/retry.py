"""Retry policy for model calls (tenacity) and the mapping of openai errors to triloop's.

Transient failures (429, 5xx, timeouts, connection errors) are retried with exponential backoff and
jitter, honouring the server's ``Retry-After``; attempts and total time are both bounded. Anything
else (401, 400, ...) surfaces at once as a named error.
"""

from __future__ import annotations

import openai
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from triloop.config import RetrySettings
from triloop.errors import (
    LLMAuthError,
    LLMBadRequestError,
    LLMConnectionError,
    LLMError,
    LLMRateLimitError,
    LLMServerError,
    LLMTimeoutError,
)


def is_retryable(exc: BaseException) -> bool:
    return isinstance(
        exc,
        openai.RateLimitError
        | openai.InternalServerError
        | openai.APITimeoutError
        | openai.APIConnectionError,
    ) or (isinstance(exc, openai.APIStatusError) and exc.status_code >= 500)


def retry_after_s(exc: BaseException | None) -> float | None:
    """The server's ``Retry-After`` (seconds form) if it sent one."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class _Wait:
    """Exponential backoff with jitter, replaced by ``Retry-After`` when the server gives one."""

    def __init__(self, policy: RetrySettings) -> None:
        self.policy = policy
        self.backoff = wait_exponential_jitter(
            multiplier=policy.initial_backoff_s, max=policy.max_backoff_s, jitter=policy.initial_backoff_s
        )

    def __call__(self, state: RetryCallState) -> float:
        hinted = retry_after_s(state.outcome.exception() if state.outcome else None)
        if hinted is not None:
            return min(hinted, self.policy.max_retry_after_s)
        return self.backoff(state)


def _retry_kwargs(policy: RetrySettings) -> dict:
    return {
        "retry": retry_if_exception(is_retryable),
        "stop": stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.max_total_s),
        "wait": _Wait(policy),
        "reraise": True,
    }


def sync_retrying(policy: RetrySettings) -> Retrying:
    return Retrying(**_retry_kwargs(policy))


def async_retrying(policy: RetrySettings) -> AsyncRetrying:
    return AsyncRetrying(**_retry_kwargs(policy))


def translate(exc: Exception, endpoint: str, attempts: int | None = None) -> LLMError:
    """Turn an openai exception into a named triloop error with a one-line message."""
    tried = f" after {attempts} attempts" if attempts else ""
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMAuthError(
            f"{endpoint} rejected the API key ({exc.status_code}); check TRILOOP_LLM__API_KEY"
        )
    if isinstance(exc, openai.RateLimitError):
        return LLMRateLimitError(f"{endpoint} is still rate-limiting (429){tried}")
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeoutError(f"{endpoint} did not answer in time{tried}")
    if isinstance(exc, openai.APIConnectionError):
        return LLMConnectionError(f"cannot reach {endpoint}{tried}: {exc.__cause__ or exc}")
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return LLMServerError(f"{endpoint} keeps failing with {exc.status_code}{tried}")
        return LLMBadRequestError(f"{endpoint} rejected the request ({exc.status_code}): {_short(exc)}")
    if isinstance(exc, ValueError):  # json.JSONDecodeError and pydantic errors from a malformed body
        return LLMError(f"{endpoint} returned a malformed response: {str(exc)[:200]}")
    return LLMError(f"{endpoint}: {exc}")


def _short(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, dict) else err
        if msg:
            return str(msg)[:300]
    return str(exc.message)[:300]
