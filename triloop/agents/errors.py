"""Errors raised by the agents."""

from __future__ import annotations

from triloop.errors import TriloopError


class AgentError(TriloopError):
    """Base of agent errors."""


class AgentParseError(AgentError):
    """A model reply could not be read into the expected shape, even after a repair round."""


class UnknownToolError(AgentError):
    """An agent was configured with, or asked for, a tool that does not exist."""
