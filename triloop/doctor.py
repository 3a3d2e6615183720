"""``triloop doctor``: each part the system would use, and whether it works right now."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from triloop.config import Settings
from triloop.errors import TriloopError


class Check(BaseModel):
    part: str
    setting: str
    ok: bool
    detail: str = ""


def _run(part: str, setting: str, probe: Callable[[], str | None]) -> Check:
    try:
        detail = probe() or ""
        return Check(part=part, setting=setting, ok=True, detail=detail)
    except (TriloopError, OSError, RuntimeError, ValueError) as exc:
        return Check(part=part, setting=setting, ok=False, detail=str(exc).splitlines()[0][:200])


def _check_llm(settings: Settings) -> None:
    from triloop.llm.client import LLMClient

    with LLMClient(settings) as llm:
        llm.complete([{"role": "user", "content": "Say OK."}], max_tokens=4)


def _check_sandbox(settings: Settings) -> str:
    from triloop.tools.sandbox.factory import create_sandbox, select_backend

    choice = select_backend(settings.sandbox)
    sandbox = create_sandbox(settings.sandbox, backend=choice.backend)
    try:
        result = sandbox.execute("print(6 * 7)", timeout=30)
    finally:
        sandbox.close()
    if result.stdout.strip() != "42":
        raise RuntimeError(f"sandbox ran print(6*7) and got {result.stdout!r} / {result.stderr[:80]!r}")
    return choice.reason


def _check_memory(settings: Settings) -> None:
    from triloop.memory.store import MemoryStore

    with MemoryStore(settings.memory) as store:
        store.stats()


def _check_runs(settings: Settings) -> str:
    from triloop.graphs.store import open_run_store

    with open_run_store(settings.checkpoint, settings.data_dir / "runs") as runs:
        return runs.location


def run_checks(settings: Settings) -> list[Check]:
    role_lines = []
    for role in ("solver", "reviewer", "refiner"):
        cfg = settings.for_role(role)
        role_lines.append(f"{role}={cfg.model}@{cfg.base_url or 'embedded'}")
    memory_where = settings.memory.server_url or str(settings.memory.dir)
    return [
        _run("llm", ", ".join(role_lines), lambda: _check_llm(settings)),
        _run("sandbox", settings.sandbox.backend, lambda: _check_sandbox(settings)),
        _run("memory", memory_where, lambda: _check_memory(settings)),
        _run("runs", "postgresql" if settings.checkpoint.url else "sqlite", lambda: _check_runs(settings)),
    ]
