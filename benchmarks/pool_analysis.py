"""Where a graph strategy's failures come from, read from a bench run made with ``--pools``.

* selection: the pool held a candidate that passes the hidden tests, and the checks chose another;
* generation: no candidate in the pool passes them.

It also asks whether a candidate that raises (or times out) on one of the Tester's generated inputs is
a wrong one: if it nearly always is, such an error is evidence a rule could use (e.g. not settling a
problem as "easy" on it); if right candidates raise as often, the Tester's inputs are to blame.

It then replays selection rules on each problem's first drafts (round 0), as if the problem were
settled there: which draft each rule picks, and whether that draft passes the hidden tests. The drafts
are the run's own, so the rules are compared on the same pools (refinement is not replayed). Where
the pools kept each draft's check report, the rules are replayed once more under each clustering of
``CLUSTERINGS`` (which behaviours count as agreeing), recomputed from those reports.

    python benchmarks/pool_analysis.py benchmarks/results/humaneval-0-59-v6 [--strategy triloop]

Prints a table and writes ``pool_analysis.json`` into the results folder.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from triloop.bench.harness import RESULTS_FILE, read_records, unique
from triloop.bench.strategies import PoolMember
from triloop.kinds.coding.checks import RunReport


def passed(member: PoolMember, source: str) -> int:
    return int(member.checks.get(source, "0/0").partition("/")[0])


def _order(m: PoolMember) -> tuple[float, int, str]:  # ties go to the coolest, earliest draft
    return (m.temperature, len(m.id), m.id)


#: A clustering: the key of a draft's behaviour; drafts with equal keys agree.
Clustering = Callable[[PoolMember], str]


def as_run(m: PoolMember) -> str:  # the run's own clusters; a draft no cluster holds agrees with nobody
    return m.behaviour or f"#alone:{m.id}"


def _replayed(
    behaviour: Callable[[RunReport], tuple[str, ...]], can_agree: Callable[[RunReport], bool]
) -> Clustering:
    def key(m: PoolMember) -> str:
        report = RunReport.model_validate(m.report)
        return json.dumps(behaviour(report)) if can_agree(report) else f"#alone:{m.id}"

    return key


def _exception_type(report: RunReport) -> tuple[str, ...]:
    return tuple(re.sub(r"^(raised \w+).*", r"\1", o.got, flags=re.S) for o in report.outcomes)


def _loaded(report: RunReport) -> bool:
    return report.loaded


#: Clusterings replayed from the check reports the pools store (runs from v11 on).
CLUSTERINGS: dict[str, Clustering] = {
    "exception types split (to v10)": _replayed(_exception_type, _loaded),
    "any raise is one behaviour (v11)": _replayed(RunReport.behaviour, _loaded),
    "any raise is one, raising on every check agrees with none (triloop now)": _replayed(
        RunReport.behaviour, RunReport.can_agree
    ),
}


def _cluster_sizes(drafts: list[PoolMember], key: Clustering) -> Counter:
    return Counter(key(m) for m in drafts)


def _largest_cluster(drafts: list[PoolMember], key: Clustering) -> PoolMember:
    size = _cluster_sizes(drafts, key)
    return max(drafts, key=lambda m: (size[key(m)], m.score or 0.0))


def _codet(drafts: list[PoolMember], key: Clustering) -> PoolMember:
    size = _cluster_sizes(drafts, key)
    return max(drafts, key=lambda m: (size[key(m)] * passed(m, "generated"), passed(m, "doctest")))


def _most_checks(drafts: list[PoolMember], key: Clustering) -> PoolMember:
    size = _cluster_sizes(drafts, key)
    return max(drafts, key=lambda m: (passed(m, "doctest") + passed(m, "generated"), size[key(m)]))


def _no_errors_then_largest(drafts: list[PoolMember], key: Clustering) -> PoolMember:
    clean = [m for m in drafts if not m.errors.get("generated")] or drafts
    return _largest_cluster(clean, key)


#: Selection rules replayed on the first drafts (each sees them in tie order: greedy first).
RULES: dict[str, Callable[[list[PoolMember], Clustering], PoolMember]] = {
    "greedy draft (= plain)": lambda drafts, key: drafts[0],
    "largest cluster, then score": _largest_cluster,
    "CodeT: cluster size x generated passed": _codet,
    "most checks passed, then cluster size": _most_checks,
    "no error on generated inputs, then largest cluster": _no_errors_then_largest,
}


def _first_drafts(record) -> list[PoolMember]:
    return sorted((m for m in record.pool if m.round == 0 and m.code is not None), key=_order)


def replay(records: list, key: Clustering = as_run) -> dict[str, dict]:
    out = {}
    for name, rule in RULES.items():
        picks = {}
        for record in records:
            drafts = _first_drafts(record)
            if drafts:
                picks[record.task_id] = bool(rule(drafts, key).hidden)
        out[name] = {"passed": sum(picks.values()), "problems": len(picks),
                     "failed": sorted(t for t, ok in picks.items() if not ok)}  # fmt: skip
    return out


def replay_clusterings(records: list) -> dict[str, dict]:
    """Each rule under each clustering of :data:`CLUSTERINGS`, when every first draft kept its report
    (empty for older runs)."""
    drafts = [m for record in records for m in _first_drafts(record)]
    if not drafts or any(m.report is None for m in drafts):
        return {}
    return {name: replay(records, key) for name, key in CLUSTERINGS.items()}


def _equal(a: object, b: object, rel_tol: float) -> bool:
    """The checks' comparison (floats with ``isclose``, also inside lists, tuples and dicts) on values
    parsed back from their reprs, with a chosen ``rel_tol``."""
    reals = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b))
    if reals and (isinstance(a, float) or isinstance(b, float)):  # two ints compare exactly, below
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-9)
    if type(a) is type(b) and isinstance(a, list | tuple):
        return len(a) == len(b) and all(_equal(x, y, rel_tol) for x, y in zip(a, b, strict=True))
    if type(a) is type(b) and isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k], rel_tol) for k in a)
    return a == b


def loose_passes(member: PoolMember, rel_tol: float = 1e-9) -> list[str]:
    """Checks the member passed under the checks' ``rel_tol`` (1e-6) that fail under ``rel_tol``
    (values that are not Python literals are left out)."""
    report = RunReport.model_validate(member.report or {"loaded": False})
    loose = []
    for o in report.outcomes:
        if not o.passed or o.expected is None:
            continue
        try:
            got, expected = ast.literal_eval(o.got), ast.literal_eval(o.expected)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if not _equal(got, expected, rel_tol):
            loose.append(o.call)
    return loose


def tolerance(records: list) -> dict[str, list[str]]:
    """Drafts that pass a check only thanks to ``isclose(rel_tol=1e-6)`` (Python's default is 1e-9),
    split by their hidden-test verdict: if only wrong drafts do (an epsilon added to a divisor, v9's
    HumanEval/21), the stricter tolerance is evidence the checks could use."""
    out: dict[str, list[str]] = {"hidden pass": [], "hidden fail": []}
    for record in records:
        for m in record.pool:
            if m.report is not None and m.hidden is not None and loose_passes(m):
                out["hidden pass" if m.hidden else "hidden fail"].append(f"{record.task_id} {m.id}")
    return out


def analyse(folder: Path, strategy: str) -> dict:
    records = [r for r in unique(read_records(folder / RESULTS_FILE)) if r.strategy == strategy and r.pool]
    selection, generation, settled_on_error = [], [], []
    members = Counter()  # (raises on a generated input, passes the hidden tests) -> candidates
    for record in records:
        pool_pass = any(m.hidden for m in record.pool)
        if not record.passed:
            (selection if pool_pass else generation).append(f"{record.task_id} ({record.stopped_by})")
        for member in record.pool:
            if member.code is not None and member.hidden is not None:
                members[(bool(member.errors.get("generated")), member.hidden)] += 1
            if member.chosen and member.errors.get("generated") and record.stopped_by == "easy":
                settled_on_error.append(f"{record.task_id} ({'pass' if record.passed else 'FAIL'})")
    return {
        "results": str(folder / RESULTS_FILE),
        "strategy": strategy,
        "problems": len(records),
        "passed": sum(r.passed for r in records),
        "pool_held_a_pass": sum(any(m.hidden for m in r.pool) for r in records),
        "selection_misses": selection,
        "generation_misses": generation,
        "candidates": {
            f"{'raises' if raises else 'no error'} on a generated input, hidden {'pass' if ok else 'fail'}": n
            for (raises, ok), n in sorted(members.items())
        },
        "easy_settled_on_a_candidate_that_raises": settled_on_error,
        "rules_on_first_drafts": replay(records),
        "rules_by_clustering": replay_clusterings(records),
        "pass_only_at_rel_tol_1e-6": tolerance(records),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--strategy", default="triloop")
    args = parser.parse_args()
    result = analyse(args.folder, args.strategy)
    if not result["problems"]:
        raise SystemExit(
            f"no {args.strategy} records with pools in {args.folder} (run the bench with --pools)"
        )
    table = Table(title=f"{args.strategy}: where the failures come from ({result['problems']} problems)")
    table.add_column("what")
    table.add_column("value", overflow="fold")
    table.add_row("passed", str(result["passed"]))
    table.add_row("pool held a pass", str(result["pool_held_a_pass"]))
    table.add_row("selection misses", ", ".join(result["selection_misses"]) or "-")
    table.add_row("generation misses", ", ".join(result["generation_misses"]) or "-")
    for what, n in result["candidates"].items():
        table.add_row(what, str(n))
    table.add_row("easy, chosen raises", ", ".join(result["easy_settled_on_a_candidate_that_raises"]) or "-")
    for verdict, drafts in result["pass_only_at_rel_tol_1e-6"].items():
        table.add_row(f"passes a check only at rel_tol 1e-6, {verdict}", ", ".join(drafts) or "-")
    Console().print(table)
    rules = Table(title="selection rules replayed on the first drafts (settled there, no refinement)")
    rules.add_column("rule")
    rules.add_column("passed", justify="right")
    rules.add_column("failed", overflow="fold")
    for name, row in result["rules_on_first_drafts"].items():
        rules.add_row(name, f"{row['passed']}/{row['problems']}", ", ".join(row["failed"]) or "-")
    for clustering, rows in result["rules_by_clustering"].items():
        rules.add_section()
        rules.add_row(f"replayed clustering: {clustering}", "", "", style="bold")
        for name, row in rows.items():
            rules.add_row(name, f"{row['passed']}/{row['problems']}", ", ".join(row["failed"]) or "-")
    Console().print(rules)
    (args.folder / "pool_analysis.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
