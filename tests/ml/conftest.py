"""The REAL sandbox for ML experiments: one that has scikit-learn (docker's image does)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sandbox():
    from triloop.tools.sandbox.errors import BackendUnavailableError
    from triloop.tools.sandbox.factory import create_sandbox

    try:
        sb = create_sandbox()
    except BackendUnavailableError as exc:
        pytest.skip(f"no sandbox backend: {exc}")
    with sb:
        if not sb.execute("import sklearn").ok:
            pytest.skip(f"the {sb.name} sandbox has no scikit-learn (docker's image has it)")
        yield sb
