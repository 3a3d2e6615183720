"""Named exception types.

Every error a user can cause or meet (bad config, unreachable endpoint, bad key, corrupt model file)
is one of these, so the CLI can print one clear line and exit non-zero instead of a traceback.
Subsystems (sandbox, memory, graphs) derive their own errors from :class:`TriloopError`.
"""

from __future__ import annotations

from typing import Any


class TriloopError(Exception):
    """Base of every error triloop raises on purpose."""

    exit_code: int = 1


class ConfigError(TriloopError):
    """A configuration value is missing or invalid."""

    exit_code = 2


# --- LLM layer -------------------------------------------------------------------------------


class LLMError(TriloopError):
    """Base of errors from talking to a model endpoint."""


class LLMConnectionError(LLMError):
    """The endpoint could not be reached (after retries)."""


class LLMCancelled(LLMError):
    """The call was cancelled mid-way because its run was told to stop (see triloop.llm.cancel)."""


class LLMTimeoutError(LLMError):
    """The endpoint did not answer in time (after retries)."""


class LLMAuthError(LLMError):
    """The endpoint rejected the API key (401/403). Never retried."""


class LLMBadRequestError(LLMError):
    """The endpoint rejected the request (400/404/422). Never retried."""


class LLMRateLimitError(LLMError):
    """Still rate-limited (429) after the retry budget was spent."""


class LLMServerError(LLMError):
    """Still failing with 5xx after the retry budget was spent."""


class StructuredOutputError(LLMError):
    """The model's answer could not be parsed into the requested schema, even after a repair round."""


# --- Embedded model ---------------------------------------------------------------------------


class LocalModelError(TriloopError):
    """The embedded model could not be assembled, verified or served."""


class ModelIntegrityError(LocalModelError):
    """The assembled model file has the wrong size or sha256."""


class ModelNotInstalledError(LocalModelError):
    """The packages that carry the model parts (or xllamacpp) are not installed."""


def validation_problems(exc: Any) -> str:
    """A pydantic (or FastAPI) validation error as one line: ``field.path: message; ...``."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
