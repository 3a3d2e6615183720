"""The plain call: what a user does by hand, as the baseline the repository loop is measured against.

One model call with the task, the failing tests' output and the file they point at (the files the
traceback names; when it names none of the project's files, the file of the best-localised function),
cut to the same code budget the loop uses. The reply's edits are applied as they are: no repair, no
test run, no choice.
"""

from __future__ import annotations

from pathlib import Path

from triloop.agents.base import AgentContext
from triloop.repo import prompts
from triloop.repo.localize import frames, localize
from triloop.repo.loop import RepoOptions, named_in
from triloop.repo.patches import apply_edits, parse_edits
from triloop.repo.repomap import build_map, python_files
from triloop.repo.result import Attempt, RepoResult
from triloop.repo.testrun import run_suite
from triloop.tools.sandbox.base import Sandbox


def window(text: str, centre: int, budget: int) -> str:
    """The lines of ``text`` around line ``centre`` (1-based) that fit ``budget`` characters."""
    lines = text.splitlines()
    low = high = max(0, min(centre - 1, len(lines) - 1))
    used = len(lines[low]) if lines else 0
    while used < budget and (low > 0 or high < len(lines) - 1):
        for side in (-1, 1):
            if side < 0 and low > 0 and used + len(lines[low - 1]) < budget:
                low -= 1
                used += len(lines[low]) + 1
            elif side > 0 and high < len(lines) - 1 and used + len(lines[high + 1]) < budget:
                high += 1
                used += len(lines[high]) + 1
        if (low == 0 or used + len(lines[low - 1]) >= budget) and (
            high == len(lines) - 1 or used + len(lines[high + 1]) >= budget
        ):
            break
    return "\n".join(lines[low : high + 1])


def plain_fix(
    ctx: AgentContext, sandbox: Sandbox, root: Path, spec: str, options: RepoOptions | None = None
) -> RepoResult:
    """One call with the failing output and the file it points at; the edits applied unchecked."""
    options = options or RepoOptions()
    files = python_files(root)
    repo = build_map(root, files=files)
    suite = run_suite(
        sandbox,
        root,
        args=[*options.pytest_options, *options.test_args],
        deselect=options.deselect,
        timeout=options.test_timeout,
    )
    targets = named_in(spec, suite.failing())
    failure = suite.failure_text(1_500) if targets else ""
    named = [f for f in frames(failure, repo) if not repo.files[f.path].is_test]
    if named:
        path, line = named[-1].path, named[-1].line
    else:
        best = localize(repo, files, spec=spec, failures=failure, failing_tests=targets, top=1)
        if not best:
            path, line = next(p for p in files if not repo.files[p].is_test), 1
        else:
            path, line = best[0].symbol.path, best[0].symbol.start
    shown_text = window(files[path], line, options.code_chars)
    code = f"### {path}\n```python\n{shown_text}\n```"
    first = files[path].find(shown_text)
    low = files[path].count("\n", 0, first) + 1
    high = low + shown_text.count("\n")
    # the functions in the window: a reply that rewrites one without naming its file still applies
    shown = [s for s in repo.files[path].symbols if low <= s.start and s.end <= high]
    evidence = prompts.FAILING.format(failure=failure) if failure else ""
    reply = ctx.complete(
        [{"role": "user", "content": prompts.PLAIN.format(spec=spec, evidence=evidence, code=code)}],
        role="solver",
        purpose="repo:plain",
        temperature=0.0,
        max_tokens=700,
    )
    applied = apply_edits(files, parse_edits(reply.text, files, shown))
    attempt = Attempt(
        source="plain", files=applied.files, applied=applied.applied, failed=[w for _, w in applied.failed]
    )
    return RepoResult.of(
        files,
        attempt if applied.files else None,
        [attempt],
        targets=targets,
        reproduced=False,
        reproduction="",
        locations=[],
        calls=ctx.calls,
        baseline_failing=suite.failing(),
    )
