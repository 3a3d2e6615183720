"""Fixtures of the graph tests. The scripted FakeLLM lives in fake_llm.py (a fake, for logic tests only)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


import pytest


@pytest.fixture(scope="module")
def sandbox_tools():
    """The REAL execution tools on the best available sandbox backend (docker, else bwrap)."""
    from triloop.tools.execution import execution_tools
    from triloop.tools.sandbox.errors import BackendUnavailableError
    from triloop.tools.sandbox.factory import create_sandbox

    try:
        sandbox = create_sandbox()
    except BackendUnavailableError as exc:
        pytest.skip(f"no sandbox backend: {exc}")
    with sandbox:
        yield execution_tools(sandbox)
