"""What a repository run returns: the chosen change, what it passes and breaks, what was tried, the cost."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from triloop.agents.models import LLMCall
from triloop.repo.localize import Location

Label = Literal["verified", "partial", "unverified", "breaks tests", "no change"]


class Attempt(BaseModel):
    """One candidate change and its evidence."""

    source: str  # "draft 1", "refine 2", ...
    files: dict[str, str]  # path -> new text, the files it changes
    applied: list[str] = []  # how each edit applied: exact / indent / fuzzy / repaired:...
    failed: list[str] = []  # edits that did not apply, and why
    targets_passed: int = 0
    broken: list[str] = []  # tests that passed before and fail with this change
    verified: bool = False
    failure: str = ""

    def signature(self) -> str:
        """The change with blank space ignored: equal signatures are candidates that agree."""
        return "\n".join(f"{p}:{''.join(t.split())}" for p, t in sorted(self.files.items()))

    def size(self) -> int:
        return sum(len(t) for t in self.files.values())


class RepoResult(BaseModel):
    label: Label
    changed: dict[str, str]  # path -> new text (only files whose text changed)
    diff: str
    targets: list[str]  # the tests the change had to make pass
    targets_passed: int
    broken: list[str]
    reproduced: bool = False  # the targets are a test the Tester wrote from the report
    reproduction: str = ""
    baseline_failing: list[str] = []
    attempts: list[Attempt]
    locations: list[str]  # "path::function (why)" shown to the model
    calls: int
    prompt_tokens: int
    completion_tokens: int
    max_prompt_tokens: int

    def tried(self) -> list[str]:
        """One line per attempt: the targets it passed, what it broke, edits that did not apply."""
        lines = []
        for attempt in self.attempts:
            state = (
                "verified" if attempt.verified else f"{attempt.targets_passed}/{len(self.targets)} targets"
            )
            broken = f", breaks {len(attempt.broken)}" if attempt.broken else ""
            failed = f", {len(attempt.failed)} edits did not apply" if attempt.failed else ""
            nothing = ", no edit applied" if not attempt.files else ""
            lines.append(f"{attempt.source}: {state}{broken}{failed}{nothing}")
        return lines

    @classmethod
    def of(
        cls,
        original: dict[str, str],
        best: Attempt | None,
        attempts: Sequence[Attempt],
        *,
        targets: Sequence[str],
        reproduced: bool,
        reproduction: str,
        locations: Sequence[Location],
        calls: Sequence[LLMCall],
        baseline_failing: Sequence[str],
    ) -> RepoResult:
        changed = {p: t for p, t in (best.files if best else {}).items() if original.get(p) != t}
        if not changed or best is None:
            label: Label = "no change"
        elif best.verified:
            label = "verified"
        elif best.broken:
            label = "breaks tests"
        elif targets and best.targets_passed:
            label = "partial"
        else:
            label = "unverified"
        return cls(
            label=label,
            changed=changed,
            diff=diff_of(original, changed),
            targets=list(targets),
            targets_passed=best.targets_passed if best and changed else 0,
            broken=best.broken if best and changed else [],
            reproduced=reproduced,
            reproduction=reproduction,
            baseline_failing=list(baseline_failing),
            attempts=list(attempts),
            locations=[
                f"{loc.symbol.path}::{loc.symbol.name} ({', '.join(loc.reasons)})" for loc in locations
            ],
            calls=len(calls),
            prompt_tokens=sum(c.prompt_tokens for c in calls),
            completion_tokens=sum(c.completion_tokens for c in calls),
            max_prompt_tokens=max((c.prompt_tokens for c in calls), default=0),
        )


def diff_of(before: dict[str, str], after: dict[str, str]) -> str:
    """A unified diff of the files in ``after`` against ``before``."""
    lines: list[str] = []
    for path, text in sorted(after.items()):
        old = before.get(path, "")
        lines += difflib.unified_diff(
            old.splitlines(keepends=True), text.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    return "".join(lines)
