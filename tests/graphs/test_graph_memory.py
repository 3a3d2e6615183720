"""The graph with the REAL vector memory (Chroma + MiniLM in a temp dir); the LLM is a scripted FAKE.

Reflect writes the experience, tool feedback and a verified function; the next run's intake retrieves
the experience into the Solver's prompt.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from fake_llm import Rule, ScriptedFakeLLM, signature_rule

from triloop.graphs.builder import build_solve_graph
from triloop.graphs.memory import GraphMemory
from triloop.graphs.memory_store import StoreMemory
from triloop.graphs.state import SolveConfig
from triloop.memory.settings import MemorySettings
from triloop.memory.store import MemoryStore
from triloop.tools.base import ToolResult, ToolSpec
from triloop.tools.sandbox.result import ExecResult

CODE = "def add(a, b):\n    return a + b\n"


class FakeSandbox:
    """FAKE sandbox: runs the (scripted, trusted) program in a plain host subprocess, no isolation.

    The coding kind runs its checks in the sandbox of the execution tools; this stands in for it so the
    reflect wiring is tested without a docker/bwrap backend.
    """

    name = "fake"

    def execute(
        self, code: str, *, files: dict[str, str] | None = None, timeout: float | None = None, **_
    ) -> ExecResult:
        with tempfile.TemporaryDirectory() as ws:
            for name, text in {**(files or {}), "main.py": code}.items():
                (Path(ws) / name).write_text(text)
            started = time.monotonic()
            try:
                proc = subprocess.run(
                    [sys.executable, "main.py"], cwd=ws, capture_output=True, text=True, timeout=timeout
                )
            except subprocess.TimeoutExpired:
                return ExecResult(timed_out=True, duration_s=time.monotonic() - started, backend=self.name)
            return ExecResult(
                stdout=proc.stdout,
                stderr=proc.stderr,
                exit_code=proc.returncode,
                duration_s=time.monotonic() - started,
                backend=self.name,
            )


class FakeRunTests:
    """FAKE run_tests that executes code + tests in-process (unit test of the reflect wiring only)."""

    spec = ToolSpec(
        name="run_tests", signature="run_tests(code: str, tests: str) -> str", purpose="run tests"
    )

    def __init__(self) -> None:
        self.sandbox = FakeSandbox()  # where the coding kind runs its checks (the real tools carry theirs)
        self.calls = 0

    def __call__(self, code: str, tests: str) -> ToolResult:
        self.calls += 1
        scope: dict = {}
        try:
            exec(code + "\n" + tests, scope)
        except AssertionError as exc:
            return ToolResult(ok=False, output=f"AssertionError {exc}")
        return ToolResult(ok=True, output="1 passed")


@pytest.fixture(params=["directory", "server"])
def memory_settings(request, tmp_path) -> MemorySettings:
    """A persistent directory, or the session's REAL Chroma server (the cluster's one shared memory)."""
    if request.param == "directory":
        return MemorySettings(dir=tmp_path / "mem")
    server = request.getfixturevalue("chroma_server")
    return MemorySettings(server_url=server.url)


def test_reflect_writes_memory_and_intake_reads_it(memory_settings):
    with MemoryStore(memory_settings) as store:
        memory = StoreMemory(store)
        assert isinstance(memory, GraphMemory)
        tool = FakeRunTests()
        memory.register_tools([tool])
        draft = Rule(
            "solver", ("Write Python code for the task below", "Task:"), f"Here it is:\n```python\n{CODE}```"
        )
        tester = Rule("reviewer", "Write 6 test cases", "```python\nassert add(1, 2) == 3\n```")
        llm = ScriptedFakeLLM([signature_rule("def add(a, b)"), tester, draft])
        cfg = SolveConfig(k=2)
        graph = build_solve_graph(llm, tools=[tool], memory=memory, config=cfg)
        task = "Write a Python function add(a, b) that returns the sum of a and b."
        out = graph.invoke({"task": task, "tests": "assert add(2, 3) == 5\n", "config": cfg.model_dump()})
        assert out["result"]["verified"] is True and out["result"]["kind"] == "coding"  # claimed: tests
        assert out["result"]["code"] == CODE and tool.calls == 2  # the user's tests ran on both drafts
        assert any(e["kind"] == "tests" and e["passed"] for e in out["result"]["evidence"])
        # the signature asked at intake, the Tester's tests and 2 plain-code drafts, nothing else
        assert sorted(c["role"] for c in llm.calls) == ["reviewer"] + ["solver"] * 3
        assert store.stats().collections  # something was written
        toolset = store.search("toolset", "add two numbers", 1)
        assert toolset and toolset[0].record.name == "add"
        experiences = store.search("experiences", task, 1, task_kind="coding")
        assert experiences and experiences[0].record.outcome == "solved"

    # a second, similar run on another client of the same memory (on a cluster: another worker) sees the
    # stored experience in its prompt
    with MemoryStore(memory_settings) as other:
        llm2 = ScriptedFakeLLM([signature_rule("def add(a, b)"), draft])
        build_solve_graph(llm2, memory=StoreMemory(other), config=SolveConfig(strategy="single")).invoke(
            {
                "task": "Write a Python function add(a, b) returning a + b.",
                "config": SolveConfig(strategy="single").model_dump(),
            }
        )
        solver_prompt = next(c for c in llm2.calls if "Write Python code for the task below" in c["last"])
        assert "From memory" in solver_prompt["last"]
        assert "Past experiences" in solver_prompt["last"] and "def add" in solver_prompt["last"]
