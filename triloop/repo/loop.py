"""The repository loop: localise, reproduce, patch, choose by tests, review and refine.

MAgICoRe at repository scale, with the project's own tests as the evidence:

1. the tests run once on the untouched project (the baseline the regression guard compares with);
2. the targets are the tests that fail; when none fails and the task is a report, a Tester writes a
   test that must fail on the current code (checked, :mod:`triloop.repo.reproduce`), so the fix has
   something to pass;
3. localisation picks a few functions (traceback, the tests' spectrum, what they call, the task's words);
4. the Solver drafts candidate patches (search/replace edits) from one prompt: two, and more (up to
   ``k``) while none verifies (the server reuses its cached prefill); an edit that does not apply is
   repaired once;
5. every candidate runs the whole suite in the sandbox: verified = the targets pass and no test that
   passed before fails. Candidates that verify are grouped by the change they make and the biggest
   group wins (agreement, as CodeT); one that breaks a passing test is never chosen;
6. when none verifies, the Reviewer reads the best attempt's failure with its locals and the Refiner
   patches again from the code as that attempt left it, re-verified, while it improves.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from triloop.agents.base import AgentContext
from triloop.llm.base import Role
from triloop.repo import prompts
from triloop.repo.localize import Location, localize, render
from triloop.repo.patches import Applied, apply_edits, parse_edits
from triloop.repo.repomap import RepoError, RepoMap, build_map, outline, python_files
from triloop.repo.reproduce import REPRO_FILE, reproduce
from triloop.repo.result import Attempt, RepoResult, diff_of
from triloop.repo.testrun import SuiteRun, run_suite
from triloop.tools.sandbox.base import Sandbox


class RepoOptions(BaseModel):
    """How much to try. The defaults are the triloop strategy; ``agentless()`` is the k=1 pipeline."""

    k: int = 5  # drafts from one prompt (the first at temperature 0, the others sampled)
    rounds: int = 2  # review -> refine rounds when no draft verifies
    repair: bool = True  # ask once to repair a block that does not apply
    reproduce: bool = True  # write a failing test when the task is a report and no test fails
    choose: bool = True  # pick by tests and agreement (False: the first draft, as it is)
    top: int = 4  # functions shown
    code_chars: int = 6_000
    test_timeout: float = 120.0
    test_args: list[str] = []  # pytest arguments that select the suite (default: pytest's discovery)
    pytest_options: list[str] = []  # options every run takes (e.g. -o addopts=), also runs of named tests
    map_cache: Path | None = None  # where the repository map is kept between runs
    deselect: list[str] = []  # tests never run (known failures, or a benchmark's hidden tests)

    @classmethod
    def agentless(cls) -> RepoOptions:
        return cls(k=1, rounds=0, repair=False, reproduce=False, choose=False)


class _Run:
    """One task's working state: the project, its baseline, the targets, the model context."""

    def __init__(self, ctx: AgentContext, sandbox: Sandbox, root: Path, spec: str, options: RepoOptions):
        self.ctx, self.sandbox, self.root, self.spec, self.options = ctx, sandbox, root, spec, options
        self.files = python_files(root)
        cached = RepoMap.load(options.map_cache) if options.map_cache else None
        self.repo: RepoMap = build_map(root, cached, files=self.files)  # only changed files are parsed
        if options.map_cache:
            self.repo.save(options.map_cache)
        self.extra: dict[str, str] = {}  # the reproduction test, when one was written
        self.baseline = SuiteRun(outcomes={})  # the suite on the untouched project

    def suite(self, files: dict[str, str], args: Sequence[str] = (), spectrum: bool = False) -> SuiteRun:
        """The suite (the project's selection plus the reproduction test), or just the named tests."""
        selection: list[str] = []
        if not any("::" in a or a.endswith(".py") for a in args):  # not a run of named tests
            selection = [*(self.options.test_args or (["."] if self.extra else [])), *self.extra]
        words = [*self.options.pytest_options, *selection, *args]
        return run_suite(
            self.sandbox,
            self.root,
            {**self.extra, **files},
            args=words,
            deselect=self.options.deselect,
            timeout=self.options.test_timeout,
            spectrum=spectrum,
        )

    def locate(self, files: dict[str, str], failures: str, targets: Sequence[str]) -> list[Location]:
        calls = None if files else self.baseline.calls  # line numbers hold for the untouched code only
        repo = build_map(self.root, self.repo, files={**self.files, **self.extra, **files})
        return localize(
            repo,
            {**self.files, **self.extra, **files},
            spec=self.spec,
            failures=failures,
            failing_tests=targets,
            calls=calls,
            top=self.options.top,
        )

    def ask(
        self,
        content: str,
        purpose: str,
        role: Role = "solver",
        temperature: float = 0.0,
        max_tokens: int = 700,
        earlier: Sequence[dict] = (),
    ) -> str:
        reply = self.ctx.complete(
            [*earlier, {"role": "user", "content": content}],
            role=role,
            purpose=purpose,
            temperature=temperature,
            max_tokens=max_tokens,
        )
        return reply.text


def named_in(spec: str, failing: Sequence[str]) -> list[str]:
    """The failing tests the task names (by node id or function name); all of them when it names none.
    A project with old unrelated failures can then be given one test to fix."""

    def named(test: str) -> bool:
        short = test.split("::")[-1].split("[")[0]
        return any(re.search(rf"(?<![\w.:/-]){re.escape(n)}(?![\w-])", spec) for n in (test, short))

    return [t for t in failing if named(t)] or list(failing)


def contrast(baseline: SuiteRun, targets: Sequence[str], most: int = 8) -> str:
    """The cases of the failing parametrised tests that pass: what the code already gets right beside
    what it gets wrong is often the clearest hint of what is wrong (``[DeviceType-device_type]`` passes,
    ``[HTMLTidy-html_tidy]`` fails)."""
    families = {t.split("[")[0] for t in targets if "[" in t}
    passing = sorted(t for t in baseline.passed() if "[" in t and t.split("[")[0] in families)
    if not passing:
        return ""
    cases = ", ".join(t[t.index("[") :] for t in passing[:most])
    more = f" and {len(passing) - most} more" if len(passing) > most else ""
    return prompts.PASSING.format(cases=cases + more)


def draft_patch(
    run: _Run,
    current: dict[str, str],
    evidence: str,
    attempt: str,
    locations: list[Location],
    purpose: str,
    temperature: float,
) -> Applied:
    """One candidate: ask for blocks against ``current``; repair blocks that do not apply (once)."""
    files = {**run.files, **current}
    prompt = prompts.PATCH.format(
        outline=outline(run.repo, budget_chars=500),
        spec=run.spec,
        evidence=evidence,
        code=render(locations, files, run.options.code_chars),
        attempt=attempt,
        now=" (as the earlier attempt left it)" if attempt else "",
    )
    shown = [loc.symbol for loc in locations]
    role: Role = "refiner" if attempt else "solver"
    reply = run.ask(prompt, purpose, role=role, temperature=temperature)
    edits = parse_edits(reply, files, shown)
    unchanged = bool(edits) and all(e.search.strip() == e.replace.strip() for e in edits)
    if unchanged or (not edits and "```" not in reply):
        # Small models often stop after the diagnosis, or send the code back as it was: one more turn
        # on the same prefix (cached by the server) asks for the change itself.
        turns = [{"role": "user", "content": prompt}, {"role": "assistant", "content": reply}]
        again = prompts.SAME_CODE if unchanged else prompts.CODE_PLEASE
        reply = run.ask(again, f"{purpose}:code", role=role, temperature=temperature, earlier=turns)
        edits = parse_edits(reply, files, shown)
    applied = apply_edits(files, edits)
    if applied.failed and run.options.repair:
        fixes = []
        for edit, _why in applied.failed[:2]:
            region = _region(files.get(edit.path, ""), locations, edit.path)
            if not region:
                continue
            repair = prompts.REPAIR.format(path=edit.path, search=edit.search[:800], region=region)
            fixes += parse_edits(run.ask(repair, f"{purpose}:repair", role=role), files, shown)
        kept = [e for e in edits if all(e is not f for f, _ in applied.failed)]
        again = apply_edits(files, kept + fixes)
        again.applied = applied.applied + [f"repaired:{h}" for h in again.applied[len(applied.applied) :]]
        applied = again
    applied.files = {**current, **applied.files}
    return applied


def _region(text: str, locations: list[Location], path: str) -> str:
    """The file lines a failed SEARCH most likely meant: the shown function of that file."""
    for loc in locations:
        if loc.symbol.path == path:
            lines = text.splitlines()
            return "\n".join(lines[loc.symbol.start - 1 : loc.symbol.end][:60])
    return ""


def verify(run: _Run, targets: Sequence[str], applied: Applied, source: str) -> Attempt:
    """Run the suite on a candidate and say what it passes and breaks."""
    if not applied.files:
        failed = [why for _, why in applied.failed]
        return Attempt(
            source=source, files={}, applied=applied.applied, failed=failed, failure="no edit applied"
        )
    result = run.suite(applied.files)
    passed = sum(result.passes(t) for t in targets)
    broken = result.broken(run.baseline)
    return Attempt(
        source=source,
        files=applied.files,
        applied=applied.applied,
        failed=[why for _, why in applied.failed],
        targets_passed=passed,
        broken=broken,
        verified=bool(targets) and passed == len(targets) and not broken,
        failure=result.failure_text(1_500),
    )


def choose(attempts: Sequence[Attempt], targets: bool = True) -> Attempt | None:
    """Verified candidates, the biggest group of equal changes first (agreement); else the one that
    passes most targets and breaks nothing. Without targets (no test shows the problem) the biggest
    group among changes that break nothing: agreement is then the only evidence."""
    pool = (
        [a for a in attempts if a.verified] if targets else [a for a in attempts if a.files and not a.broken]
    )
    if pool:
        groups = Counter(a.signature() for a in pool)
        return max(pool, key=lambda a: (groups[a.signature()], -a.size()))
    safe = [a for a in attempts if a.files and not a.broken and a.targets_passed > 0]
    return max(safe, key=lambda a: (a.targets_passed, -a.size())) if safe else None


def fix_repo(
    ctx: AgentContext, sandbox: Sandbox, root: Path, spec: str, options: RepoOptions | None = None
) -> RepoResult:
    """Change the project at ``root`` for ``spec``; nothing is written to ``root``."""
    options = options or RepoOptions()
    run = _Run(ctx, sandbox, root, spec, options)
    # The baseline: what passes before any change (the guard), the failures with their locals, and
    # which functions each test runs (the spectrum).
    baseline = run.baseline = run.suite({}, args=["-l"], spectrum=True)
    if not baseline.outcomes and "unrecognized arguments" in baseline.tail:
        # the project's addopts name a plugin the sandbox lacks (``--cov``): run without them
        dropped = [*options.pytest_options, "-o", "addopts="]
        run.options = options = options.model_copy(update={"pytest_options": dropped})
        baseline = run.baseline = run.suite({}, args=["-l"], spectrum=True)
    if not baseline.outcomes and "No module named pytest" in baseline.tail:
        raise RepoError("the sandbox's Python has no pytest: use the Docker sandbox (scripts/docker-up.sh)")
    if not baseline.outcomes and "no tests ran" not in baseline.tail:
        last = "\n".join(baseline.tail.strip().splitlines()[-4:])
        raise RepoError(f"the project's tests do not run in the sandbox:\n{last}")
    targets = named_in(spec, baseline.failing())
    reproduced = False
    if not targets and options.reproduce:
        targets = reproduce(run)
        reproduced = bool(targets)
        if targets:
            baseline = run.baseline = run.suite({}, args=["-l"], spectrum=True)  # now with the new test
    failures = baseline.failure_text(1_500) if targets else ""
    locations = run.locate({}, failures, targets)
    evidence = prompts.FAILING.format(failure=failures) if failures else ""
    evidence += contrast(baseline, targets)
    attempts: list[Attempt] = []
    for i in range(options.k):
        applied = draft_patch(run, {}, evidence, "", locations, f"repo:draft:{i}", 0.0 if i == 0 else 0.8)
        attempts.append(verify(run, targets, applied, f"draft {i + 1}"))
        if not options.choose or (i >= 1 and any(a.verified for a in attempts)):
            break  # adaptive: more drafts only while none verifies
    best = choose(attempts, bool(targets)) if options.choose else (attempts[0] if attempts[0].files else None)
    for round_no in range(1, options.rounds + 1):
        if not targets or (best is not None and best.verified):
            break  # verified, or no test to tell a better round from a worse one
        base = best or max(attempts, key=lambda a: (bool(a.files) and not a.broken, a.targets_passed))
        if not base.files:
            base = Attempt(source="none", files={}, failure=failures)
        attempt = refine(run, base, targets, failures, round_no)
        attempts.append(attempt)
        better = choose([a for a in (best, attempt) if a is not None], bool(targets))
        if better is best:
            break  # no progress: stop spending
        best = better
    return RepoResult.of(
        run.files,
        best,
        attempts,
        targets=targets,
        reproduced=reproduced,
        reproduction=run.extra.get(REPRO_FILE, ""),
        locations=locations,
        calls=ctx.calls,
        baseline_failing=baseline.failing(),
    )


def refine(run: _Run, base: Attempt, targets: Sequence[str], failures: str, round_no: int) -> Attempt:
    """Reviewer on the attempt's failure (with locals), then a patch from the code as it left it."""
    diff = diff_of(run.files, base.files)[:1_500]
    trace = run.suite(base.files, args=["-l", *targets]).failure_text(1_500) if targets else base.failure
    review = run.ask(
        prompts.REVIEW.format(spec=run.spec, diff=diff or "(nothing applied)", failure=trace),
        f"repo:review:{round_no}",
        role="reviewer",
        max_tokens=160,
    )
    locations = run.locate(base.files, base.failure or failures, targets)
    attempt_text = prompts.ATTEMPT.format(
        diff=diff or "(nothing applied)", failure=base.failure[:1_000], review=review.strip()
    )
    evidence = prompts.FAILING.format(failure=failures[:800]) if failures else ""
    applied = draft_patch(run, base.files, evidence, attempt_text, locations, f"repo:refine:{round_no}", 0.3)
    return verify(run, targets, applied, f"refine {round_no}")
