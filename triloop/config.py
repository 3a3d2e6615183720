"""Configuration: environment variables ``TRILOOP_*`` and an optional ``triloop.toml``.

Precedence (highest first): explicit arguments, environment, ``triloop.toml`` (path from
``TRILOOP_CONFIG`` or ``./triloop.toml``), defaults. Nested fields use ``__`` in env names, e.g.
``TRILOOP_LLM__BASE_URL`` or ``TRILOOP_REVIEWER__MODEL``.

Each agent role (solver, reviewer, refiner) may override any field of the shared ``llm`` setting;
unset fields fall back to the shared one, so one endpoint serves all roles by default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from triloop.errors import ConfigError
from triloop.graphs.state import SolveConfig
from triloop.graphs.store import CheckpointSettings
from triloop.memory.settings import MemorySettings
from triloop.tools.sandbox.settings import SandboxSettings

Role = Literal["default", "solver", "reviewer", "refiner"]
ROLES: tuple[Role, ...] = ("solver", "reviewer", "refiner")

#: Model names that mean "serve the embedded model locally" (no base_url needed).
LOCAL_MODELS = ("local", "local-small")


class ModelSettings(BaseModel):
    """How to reach one model. ``base_url=None`` with a local model name means the embedded model."""

    base_url: str | None = None
    model: str = "local"
    api_key: SecretStr | None = None
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    max_tokens: int = Field(1024, gt=0)
    timeout_s: float = Field(300.0, gt=0)
    max_concurrency: int = Field(4, ge=1, description="parallel requests allowed to this endpoint")
    native_tools: Literal["auto", "on", "off"] = Field(
        "auto", description="send OpenAI tools: auto = to remote endpoints until one refuses them"
    )

    @property
    def is_local(self) -> bool:
        return self.base_url is None and self.model in LOCAL_MODELS


class RoleOverride(BaseModel):
    """Per-role overrides; ``None`` means "use the shared llm setting"."""

    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, gt=0)
    timeout_s: float | None = Field(None, gt=0)
    max_concurrency: int | None = Field(None, ge=1)
    native_tools: Literal["auto", "on", "off"] | None = None


class RetrySettings(BaseModel):
    """Bounds for retrying transient LLM failures (429, 5xx, timeouts, connection errors)."""

    max_attempts: int = Field(5, ge=1)
    max_total_s: float = Field(120.0, gt=0, description="give up once this much time has passed")
    initial_backoff_s: float = Field(0.5, ge=0)
    max_backoff_s: float = Field(20.0, gt=0)
    max_retry_after_s: float = Field(60.0, gt=0, description="cap on a server's Retry-After")


class LocalModelSettings(BaseModel):
    """The embedded llama.cpp server."""

    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "triloop" / "models")
    n_ctx: int = Field(8192, gt=0, description="total context, shared by the parallel slots")
    n_parallel: int = Field(2, ge=1, description="parallel decoding slots")
    n_threads: int = Field(0, ge=0, description="0 = number of CPU cores")
    port: int = Field(0, ge=0, le=65535, description="0 = pick a free port")


class Settings(BaseSettings):
    """All of triloop's settings. Build with :func:`load_settings` to get clear errors."""

    model_config = SettingsConfigDict(
        env_prefix="TRILOOP_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    llm: ModelSettings = Field(default_factory=ModelSettings)
    solver: RoleOverride = Field(default_factory=RoleOverride)
    reviewer: RoleOverride = Field(default_factory=RoleOverride)
    refiner: RoleOverride = Field(default_factory=RoleOverride)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    local: LocalModelSettings = Field(default_factory=LocalModelSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    solve: SolveConfig = Field(default_factory=SolveConfig, description="defaults of `triloop solve` runs")
    checkpoint: CheckpointSettings = Field(
        default_factory=CheckpointSettings, description="where runs and chats are kept"
    )
    data_dir: Path = Field(default_factory=lambda: Path.home() / ".local" / "share" / "triloop")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("TRILOOP_CONFIG", "triloop.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_path))

    def for_role(self, role: Role) -> ModelSettings:
        """The effective model settings of ``role``: the shared ``llm`` with the role's overrides."""
        if role == "default":
            return self.llm
        override: RoleOverride = getattr(self, role)
        changes = override.model_dump(exclude_none=True)
        # A role pointed at another endpoint must not inherit the local model's name.
        if "base_url" in changes and "model" not in changes and self.llm.model in LOCAL_MODELS:
            raise ConfigError(
                f"{role}.base_url is set: also set {role}.model (TRILOOP_{role.upper()}__MODEL)"
            )
        return self.llm.model_copy(update=changes)


def load_settings(**overrides: object) -> Settings:
    """Load settings, turning validation errors into one readable :class:`ConfigError`."""
    config_path = os.environ.get("TRILOOP_CONFIG")
    if config_path and not Path(config_path).is_file():
        raise ConfigError(f"TRILOOP_CONFIG points at {config_path!r}, which is not a file")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None
    except (OSError, ValueError) as exc:  # e.g. a malformed triloop.toml
        raise ConfigError(f"cannot read configuration: {exc}") from None
