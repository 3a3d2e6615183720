"""Fixtures of the graph tests. The scripted FakeLLM lives in fake_llm.py (a fake, for logic tests only)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


import pytest


@pytest.fixture(scope="module")
def sandbox_tools(sandbox):
    """The REAL execution tools on the shared real sandbox (tests/conftest.py)."""
    from triloop.tools.execution import execution_tools

    yield execution_tools(sandbox)
