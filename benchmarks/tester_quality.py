"""How good the Tester's generated tests are, judged against HumanEval's reference solutions.

The loop never sees a reference solution. This benchmark uses it as the oracle to measure the Tester
alone: of the asserts it writes, how many hold for the reference (correct), how many call the function
outside its spec (the reference raises), and whether a correct one catches the wrong drafts of earlier
bench runs (``--pools DIR``: runs made with ``--pools`` know each draft's hidden-test verdict). A wrong
draft no correct test catches is one the checks cannot tell from a right one; that is where selection
fails (HumanEval/74 in run v10: the stated tie rule was never tested). Tester prompts are compared on
the same problems in one run, one Tester call each (temperature 0, as in the loop).

    python benchmarks/tester_quality.py --offset 0 --limit 60 --variant current --variant rules \\
        --pools benchmarks/results/humaneval-0-59-v9 [--model local]

Appends one JSON line per (problem, variant) to ``--out`` (resumable: done pairs are skipped), prints
a table and writes the summary next to it (``.summary.json``).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from triloop.agents.base import AgentContext
from triloop.bench.harness import RESULTS_FILE, git_commit, read_records, unique
from triloop.bench.problems import BenchProblem, load_humaneval, select
from triloop.kinds.coding import prompts
from triloop.kinds.coding.checks import Check, run_checks
from triloop.kinds.coding.kind import CodingKind

#: Tester prompts compared: the loop's own, and candidates for it (same placeholders).
VARIANTS = {
    "current": prompts.TESTER,
    # spec-based test design: one test per rule the description states, before typical inputs
    "rules": (
        "```python\n{task}```\n\nWrite {n} test cases for `{entry}` from the description above. First "
        "one test for each rule or special case the description states (ties, empty input, limits, "
        "order), then typical inputs. Work out each expected result from the description, step by step "
        "in your head. Reply with only a ```python block of one-line asserts, each "
        "`assert {entry}(...) == ...`."
    ),
    # the same, kept to inputs the spec allows (a test outside it can only add noise)
    "rules-in-spec": (
        "```python\n{task}```\n\nWrite {n} test cases for `{entry}` from the description above. First "
        "one test for each rule or special case the description states, then typical inputs; use only "
        "inputs the description allows. Work out each expected result from the description, step by "
        "step in your head. Reply with only a ```python block of one-line asserts, each "
        "`assert {entry}(...) == ...`."
    ),
}

DEFAULT_OUT = Path(__file__).parent / "results" / "tester_quality-humaneval.jsonl"
LEGEND = (
    "correct: generated asserts that hold for the reference; ref raises: the reference raises (outside "
    "the spec); none right: problems without one correct test; wrong caught: wrong pool drafts failing "
    "a correct test; all caught: problems whose wrong drafts are all caught; right flagged: right "
    "drafts failing a correct test"
)


def pool_drafts(folders: list[Path]) -> dict[str, dict[str, bool]]:
    """task_id -> {draft code: passes the hidden tests} from the pools of bench runs."""
    drafts: dict[str, dict[str, bool]] = defaultdict(dict)
    for folder in folders:
        for record in unique(read_records(folder / RESULTS_FILE)):
            for member in record.pool or []:
                if member.code is not None and member.hidden is not None:
                    drafts[record.task_id][member.code] = member.hidden
    return drafts


def judge(sandbox: Any, problem: BenchProblem, checks: list[Check], drafts: dict[str, bool]) -> dict:
    """The checks run on the reference and on each known draft (no model involved)."""
    reference = run_checks(sandbox, problem.prompt + (problem.canonical_solution or ""), checks)
    correct = [o.passed is True for o in reference.outcomes]
    caught = {True: 0, False: 0}  # right / wrong drafts failing a check the reference passes
    for code, right in drafts.items():
        report = run_checks(sandbox, code, checks)
        if any(ok and o.passed is not True for ok, o in zip(correct, report.outcomes, strict=True)):
            caught[right] += 1
    right_drafts = sum(drafts.values())
    return {
        "tests": len(checks),
        "correct": sum(correct),
        "reference_raises": sum(not o.returned for o in reference.outcomes),
        "wrong_drafts": len(drafts) - right_drafts,
        "wrong_caught": caught[False],
        "right_drafts": right_drafts,
        "right_flagged": caught[True],  # a right draft failing a correct test: the hidden tests are weak
        "checks": [
            {"call": c.call, "expected": c.expected, "correct": ok}
            for c, ok in zip(checks, correct, strict=True)
        ],
    }


def _sum(rows: list[dict], key: str) -> int:
    return sum(r[key] for r in rows)


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    for variant in dict.fromkeys(r["variant"] for r in rows):
        mine = [r for r in rows if r["variant"] == variant]
        tests = max(1, _sum(mine, "tests"))
        with_wrong = [r for r in mine if r["wrong_drafts"]]
        out.append({
            "variant": variant,
            "problems": len(mine),
            "tests_per_problem": _sum(mine, "tests") / len(mine),
            "correct_share": _sum(mine, "correct") / tests,
            "reference_raises_share": _sum(mine, "reference_raises") / tests,
            "problems_without_a_correct_test": sum(not r["correct"] for r in mine),
            "wrong_drafts": _sum(mine, "wrong_drafts"),
            "wrong_caught": _sum(mine, "wrong_caught"),
            "problems_with_wrong_drafts": len(with_wrong),
            "problems_all_wrong_caught": sum(r["wrong_caught"] == r["wrong_drafts"] for r in with_wrong),
            "right_flagged": _sum(mine, "right_flagged"),
            "tokens_per_problem": _sum(mine, "tokens") / len(mine),
        })  # fmt: skip
    return out


def summary_table(summary: list[dict], problems: int) -> Table:
    """The summary as a table."""
    # A light box and two-line headers: the table fits an 80-column log without cutting a value short.
    table = Table(
        title=f"Tester quality on {problems} HumanEval problems (reference = oracle)",
        caption=LEGEND,
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    table.add_column("variant", no_wrap=True)
    for column in ("tests", "correct", "ref\nraises", "none\nright", "wrong\ncaught", "all\ncaught",
                   "right\nflagged", "tokens"):  # fmt: skip
        table.add_column(column, justify="right")
    for s in summary:
        table.add_row(
            s["variant"], f"{s['tests_per_problem']:.1f}", f"{s['correct_share']:.0%}",
            f"{s['reference_raises_share']:.0%}", str(s["problems_without_a_correct_test"]),
            f"{s['wrong_caught']}/{s['wrong_drafts']}",
            f"{s['problems_all_wrong_caught']}/{s['problems_with_wrong_drafts']}",
            str(s["right_flagged"]), f"{s['tokens_per_problem']:.0f}",
        )  # fmt: skip
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS))
    parser.add_argument("--pools", type=Path, action="append", default=[], help="bench run made with --pools")
    parser.add_argument("--model", default="local")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    variants = args.variant or ["current"]
    for folder in args.pools:
        if not (folder / RESULTS_FILE).is_file():
            raise SystemExit(f"no {RESULTS_FILE} in {folder}")
    problems = select(load_humaneval(), args.offset, args.limit)
    drafts = pool_drafts(args.pools)
    done = set()
    if args.out.is_file():
        done = {(r["task_id"], r["variant"]) for r in map(json.loads, args.out.read_text().splitlines())}

    from contextlib import ExitStack

    from triloop.cli_options import settings_for
    from triloop.graphs.factory import open_llm, open_tools

    settings = settings_for(args.model)
    commit = git_commit()
    with ExitStack() as stack:
        llm = open_llm(stack, settings)
        tools, sandbox = open_tools(stack, settings)
        kind = CodingKind({t.spec.name: t for t in tools})
        for problem in problems:
            for variant in variants:
                if (problem.task_id, variant) in done:
                    continue
                ctx = AgentContext(llm=llm)
                run = {"task": problem.prompt, "entry_point": problem.entry_point}
                checks = kind.write_tests(ctx, run, prompt=VARIANTS[variant])
                row = {"task_id": problem.task_id, "variant": variant, "commit": commit,
                       "model": settings.llm.model,
                       "tokens": sum(c.prompt_tokens + c.completion_tokens for c in ctx.calls),
                       **judge(sandbox, problem, checks, drafts.get(problem.task_id, {}))}  # fmt: skip
                args.out.parent.mkdir(parents=True, exist_ok=True)
                with args.out.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(f"{problem.task_id} {variant}: {row['correct']}/{row['tests']} correct, "
                      f"wrong drafts caught {row['wrong_caught']}/{row['wrong_drafts']}", flush=True)  # fmt: skip
    rows = list(map(json.loads, args.out.read_text().splitlines()))
    wanted = {p.task_id for p in problems}
    summary = summarise([r for r in rows if r["task_id"] in wanted and r["variant"] in variants])
    Console().print(summary_table(summary, len(problems)))
    args.out.with_suffix(".summary.json").write_text(
        json.dumps({"slice": [args.offset, args.limit], "pools": [str(p) for p in args.pools],
                    "summary": summary}, indent=2) + "\n", encoding="utf-8")  # fmt: skip


if __name__ == "__main__":
    main()
