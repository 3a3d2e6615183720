"""Access to the shared real-model fixtures of tests/conftest.py, skipping clearly when absent."""

from __future__ import annotations

import pytest


def shared_fixture(request: pytest.FixtureRequest, name: str):
    """A fixture from tests/conftest.py (e.g. ``local_llm``); skip clearly if it is not there."""
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        pytest.skip(f"fixture {name!r} (tests/conftest.py, the real LLM client) is not available")
