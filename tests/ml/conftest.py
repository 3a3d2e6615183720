"""The REAL sandbox for ML experiments: one that has scikit-learn (docker's image does)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sandbox(sandbox):
    """The shared real sandbox (tests/conftest.py), if it can import scikit-learn."""
    if not sandbox.execute("import sklearn").ok:
        pytest.skip(f"the {sandbox.name} sandbox has no scikit-learn (docker's image has it)")
    return sandbox
