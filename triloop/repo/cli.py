"""``triloop code --workspace DIR``: fix a bug or make a change in an existing project, shown as a diff.

The project is never touched while the team works: its tests run on copies in the sandbox. The result
is the diff, which tests it makes pass, what was tried and the cost; the files are written (inside
the workspace only) when ``--apply`` is given.
"""

from __future__ import annotations

import hashlib
from contextlib import ExitStack
from pathlib import Path

import typer
from rich.console import Console
from rich.syntax import Syntax

from triloop.repo.repomap import RepoError, python_files
from triloop.repo.result import RepoResult

console = Console()
_LABEL = {
    "verified": "[green]verified[/]: the failing tests pass and no test that passed before fails",
    "partial": "[yellow]partial[/]: some of the failing tests pass, none that passed before fails",
    "unverified": "[yellow]unverified[/]: no test confirms the change",
    "breaks tests": "[red]breaks tests[/] that passed before",
    "no change": "[red]no change[/] was kept",
}


def write_changes(root: Path, changed: dict[str, str]) -> list[Path]:
    """Write the changed files, inside ``root`` only."""
    written = []
    base = root.resolve()
    for rel, text in changed.items():
        target = (root / rel).resolve()
        if base not in target.parents:
            raise RepoError(f"refusing to write {rel!r}: outside the workspace")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def show(result: RepoResult) -> None:
    """The diff, the evidence for it, what was tried and the cost."""
    if result.diff:
        console.print(Syntax(result.diff, "diff", theme="ansi_dark"))
    console.print(_LABEL[result.label])
    if result.targets:
        what = "a test written from the report" if result.reproduced else "the failing tests"
        console.print(f"tests to fix ({what}): {result.targets_passed} of {len(result.targets)} now pass")
        for node in result.targets[:8]:
            console.print(f"  {node}", highlight=False, markup=False)
    if result.broken:
        console.print(f"[red]broken[/]: {', '.join(result.broken[:8])}")
    console.print("looked at: " + "; ".join(result.locations[:4]), highlight=False, markup=False)
    for line in result.tried():
        console.print(f"  tried {line}", highlight=False, markup=False)
    console.print(
        f"cost: {result.calls} LLM calls, {result.prompt_tokens} prompt + {result.completion_tokens} "
        f"completion tokens (largest prompt {result.max_prompt_tokens})"
    )


def workspace_command(spec: str, root: Path, model: str | None, max_rounds: int | None, apply: bool) -> None:
    """Run the repository loop on ``root`` for ``spec``; exit 1 unless the change is verified."""
    from triloop.agents.base import AgentContext
    from triloop.cli_options import settings_for
    from triloop.graphs.factory import open_llm, open_tools
    from triloop.graphs.state import SolveInputError
    from triloop.repo.loop import RepoOptions, fix_repo

    if not spec.strip():
        raise SolveInputError("the spec is empty")
    python_files(root)  # a bad workspace: one clear error before the model starts
    settings = settings_for(model)
    key = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    options = RepoOptions(map_cache=settings.data_dir / "repomaps" / f"{key}.json")
    if max_rounds is not None:
        options.rounds = max_rounds
    with ExitStack() as stack:
        llm = open_llm(stack, settings)
        _, sandbox = open_tools(stack, settings)
        ctx = AgentContext(llm=llm)
        with console.status("working on the project (its tests run in the sandbox, on copies)..."):
            result = fix_repo(ctx, sandbox, root, spec, options)
    show(result)
    if result.changed and apply:
        for path in write_changes(root, result.changed):
            console.print(f"wrote {path}")
    elif result.changed:
        console.print("nothing written: run again with --apply to write the change into the workspace")
    if result.label != "verified":
        raise typer.Exit(1)
