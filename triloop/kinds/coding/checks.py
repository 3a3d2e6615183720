"""Run candidate programs on checks, group them by behaviour and score them by CodeT agreement.

Evidence that tells right code from wrong (issue #9): the task's doctests, checks the model generated
and the user's own. Doctests and generated checks can be wrong, so besides pass counts this module
gives the *behaviour* of each candidate (what every call returned or raised) so candidates that agree
with each other can back each other up (CodeT's dual execution agreement, AlphaCode's clustering).

Each candidate runs in ONE sandbox execution: ``solution.py`` is the candidate, ``main.py`` the harness
in :data:`HARNESS`. Results come back as JSON lines on the harness's saved stderr, each prefixed by a
fresh secret tag that is never in any file the candidate can read once it runs, so printing (or
crafting) result-like lines cannot change a report. A deliberately hostile candidate could still dig the
tag out of the harness's frames; the sandbox, not the tag, is the security boundary.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from triloop.tools.sandbox.base import Sandbox

CheckSource = Literal["doctest", "generated", "user"]

#: ``got`` of a check whose process was killed at the total timeout before it reported.
TIMED_OUT = "timed out"
#: ``got`` of a check whose process died (crash, out of memory, ``os._exit``) before it reported.
CRASHED = "crashed"
#: ``got`` of every check when the module did not load.
NOT_LOADED = "not loaded"
#: The behaviour of a check that raised (``got`` is "raised <Type>: <message>").
RAISED = "raised"

#: The sandbox-side harness (stdlib only; Python 3.8+). Reads checks.json (then deletes it: it holds the
#: tag), loads solution.py with fds 1/2 sent to /dev/null and sys.stdout/err to a capped buffer, runs
#: each check under its own timer and reports one tagged JSON line per event (load, each check, done),
#: so checks finished before a hard kill (a C-level hang the timer cannot interrupt) still count.
HARNESS = r"""
import hashlib, io, json, math, numbers, os, signal, sys, time, traceback
START = time.monotonic()
with open("checks.json", encoding="utf-8") as fh:
    SPEC = json.load(fh)
os.remove("checks.json")
OUT = os.dup(2)
DEADLINE = START + SPEC["budget"]

def emit(obj, _tag=SPEC.pop("tag")):
    os.write(OUT, ("\n%s %s\n" % (_tag, json.dumps(obj))).encode("utf-8", "replace"))

class Timeout(BaseException):
    pass

def on_alarm(signum, frame):
    raise Timeout()

signal.signal(signal.SIGALRM, on_alarm)

class Sink(io.TextIOBase):
    def __init__(self):
        self.text = []
        self.size = 0
    def writable(self):
        return True
    def write(self, s):
        s = str(s)
        if self.size < 2000:
            self.text.append(s[: 2000 - self.size])
            self.size += len(self.text[-1])
        return len(s)

def limited(seconds, fn):
    if seconds <= 0.01:
        raise Timeout()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)

def left(limit):
    return min(limit, DEADLINE - time.monotonic())

def cut(text, size):
    if len(text) <= size:
        return text
    digest = hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:10]
    return "%s...(%d chars, sha1 %s)" % (text[:size], len(text), digest)

def plain(x):
    tolist = getattr(x, "tolist", None)  # numpy arrays and scalars, pandas series: compare as Python values
    if tolist is not None and not isinstance(x, (list, tuple, dict, str, bytes)):
        try:
            return tolist()
        except Exception:
            pass
    return x

def same(a, b):
    a, b = plain(a), plain(b)
    real = (numbers.Real,)
    if isinstance(a, real) and isinstance(b, real) and not isinstance(a, bool) and not isinstance(b, bool):
        if not (isinstance(a, numbers.Integral) and isinstance(b, numbers.Integral)):
            a, b = float(a), float(b)
            if math.isnan(a) and math.isnan(b):
                return True
            return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if type(a) is type(b) and isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is type(b) and isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    eq = a == b
    for _ in range(3):  # numpy arrays, pandas frames: reduce element-wise results with .all()
        try:
            return bool(eq)
        except Exception:
            eq = eq.all()
    return bool(eq)

sink = Sink()
sys.stdout.flush()
sys.stderr.flush()
null = os.open(os.devnull, os.O_WRONLY)
os.dup2(null, 1)
os.dup2(null, 2)
sys.stdout = sys.stderr = sink
size = SPEC["got_chars"]
per_check = SPEC["per_check"]
try:
    def load():
        import solution
        return solution
    module = limited(left(max(5.0, per_check)), load)
    ns = vars(module)
except BaseException as exc:
    if isinstance(exc, Timeout):
        err = "timed out while loading"
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith("solution.py")]
        lines = traceback.format_list(frames[-1:]) + traceback.format_exception_only(type(exc), exc)
        err = "".join(lines).strip()[-600:]
    emit({"load": False, "error": err, "printed": "".join(sink.text)})
    sys.exit(0)
emit({"load": True})
for i, check in enumerate(SPEC["checks"]):
    kind, passed = "ok", None
    try:
        value = limited(left(per_check), lambda: eval(check["call"], ns))
        try:
            got = limited(left(per_check), lambda: cut(repr(value), size))
        except Timeout:
            raise
        except BaseException as exc:
            got = "<repr failed: %s>" % type(exc).__name__
    except Timeout:
        kind, got = "timeout", "timed out"
    except BaseException as exc:
        kind, got = "raised", cut("raised %s: %s" % (type(exc).__name__, exc), size)
    if check["expected"] is not None:
        try:
            expected = limited(left(per_check), lambda: eval(check["expected"], ns))
        except BaseException:
            passed = None
        else:
            try:
                passed = kind == "ok" and bool(limited(left(per_check), lambda: same(value, expected)))
            except BaseException:
                passed = False
    emit({"i": i, "kind": kind, "got": got, "passed": passed})
emit({"done": True, "printed": "".join(sink.text)})
"""


class Check(BaseModel):
    """One call of the entry point, with or without the value it should return."""

    call: str  # a Python expression calling the entry point, e.g. "add(1, 2)"
    expected: str | None = None  # source of the expected value, e.g. "[1, 2]"; None = behaviour only
    source: CheckSource = "generated"


class CheckOutcome(BaseModel):
    """What one check did on one candidate."""

    call: str
    expected: str | None
    source: CheckSource
    passed: bool | None  # None when there is no expected value (or it failed to evaluate)
    got: str  # repr of the value (cut, with a digest of the rest), "raised T: msg", "timed out", "crashed"

    @property
    def returned(self) -> bool:
        """The call returned a value (it did not raise, time out or die)."""
        return not self.got.startswith((RAISED + " ", TIMED_OUT, CRASHED))


class RunReport(BaseModel):
    """One candidate on one list of checks."""

    loaded: bool  # the module ran to the end of its top level (imports, defs)
    load_error: str | None = None  # the failing line and the exception when it did not
    outcomes: list[CheckOutcome] = []
    printed: str = ""  # the start of what the candidate printed (kept out of the results channel)

    def passed(self, source: CheckSource | None = None) -> int:
        """Checks of ``source`` (all when None) that passed."""
        return sum(1 for o in self.outcomes if o.passed and source in (None, o.source))

    def total(self, source: CheckSource | None = None) -> int:
        """Checks of ``source`` (all when None) that have an expected value."""
        return sum(1 for o in self.outcomes if o.expected is not None and source in (None, o.source))

    def behaviour(self) -> tuple[str, ...]:
        """What each check returned; any exception is the one behaviour ``raised``. Messages carry
        incidental detail (addresses, the exact index), and so does the type: on an input outside the
        spec (an empty or all-equal list) right programs raise whatever their code meets first
        (ZeroDivisionError, IndexError, ValueError), and two right drafts must not split over that."""
        return tuple(RAISED if o.got.startswith(RAISED + " ") else o.got for o in self.outcomes)

    def can_agree(self) -> bool:
        """Whether the candidate has a behaviour others can share: its module loaded and, when checks
        ran, at least one returned. Two programs that raise on every input (a KeyError here, a
        ValueError there: HumanEval/19 and /33 in run v11) are broken, not in agreement."""
        return self.loaded and (not self.outcomes or any(o.returned for o in self.outcomes))


def tagged_events(stderr: str, tag: str) -> list[dict[str, Any]]:
    """The JSON objects a harness printed after ``tag``; anything else on stderr is ignored."""
    events = []
    pattern = re.compile(re.escape(tag) + r" (\{.*\})\s*$")
    for line in stderr.splitlines():
        found = pattern.search(line)
        if found:
            try:
                events.append(json.loads(found.group(1)))
            except ValueError:
                continue
    return events


def run_checks(
    sandbox: Sandbox,
    code: str,
    checks: Sequence[Check],
    *,
    per_check_timeout: float = 2.0,
    timeout: float = 30.0,
) -> RunReport:
    """Run ``code`` (the candidate module) on ``checks`` in one sandbox execution.

    Each check's ``call`` and ``expected`` are evaluated in the candidate's module namespace, the call
    under ``per_check_timeout`` seconds; values compare with ``==``, floats (also inside lists, tuples
    and dicts) with ``math.isclose(rel_tol=1e-6, abs_tol=1e-9)``, numpy values as their ``tolist()``.
    ``timeout`` bounds the whole run; checks not reported when the process was killed get
    ``got="timed out"`` (or ``"crashed"`` when it died) and fail when they have an expected value.
    Keep a run under ~150 checks: every result line must fit the sandbox's stderr limit.
    """
    tag = f"triloop-checks-{secrets.token_hex(12)}"
    got_chars = max(40, min(200, 40_000 // max(1, len(checks)) - 100))  # the line fits the output limit
    spec = {
        "tag": tag,
        "budget": max(timeout * 0.8, timeout - 3.0),
        "per_check": per_check_timeout,
        "got_chars": got_chars,
        "checks": [{"call": c.call, "expected": c.expected} for c in checks],
    }
    result = sandbox.execute(
        HARNESS, files={"solution.py": code, "checks.json": json.dumps(spec)}, timeout=timeout
    )
    events = tagged_events(result.stderr, tag)
    load = next((e for e in events if "load" in e), None)
    printed = "".join(str(e.get("printed", "")) for e in events if "printed" in e)
    by_index = {e["i"]: e for e in events if isinstance(e.get("i"), int)}

    def outcome(i: int, check: Check, default: str) -> CheckOutcome:
        event = by_index.get(i)
        if event is None:
            passed = None if check.expected is None else False
            return CheckOutcome(**check.model_dump(), passed=passed, got=default)
        return CheckOutcome(**check.model_dump(), passed=event.get("passed"), got=str(event.get("got")))

    unreported = TIMED_OUT if result.timed_out else CRASHED
    if load is None or not load.get("load"):
        if load is not None:
            error = str(load.get("error"))
        elif result.timed_out:
            error = "timed out while loading"
        else:
            error = f"the harness did not report (exit code {result.exit_code}): {result.stderr[-300:]}"
        outcomes = [outcome(i, c, NOT_LOADED) for i, c in enumerate(checks)]
        return RunReport(loaded=False, load_error=error, outcomes=outcomes, printed=printed)
    outcomes = [outcome(i, c, unreported) for i, c in enumerate(checks)]
    return RunReport(loaded=True, outcomes=outcomes, printed=printed)


def behaviour_clusters(reports: Mapping[str, RunReport]) -> list[list[str]]:
    """Candidate ids grouped by identical :meth:`RunReport.behaviour`, largest cluster first (ties in
    order of first appearance). A candidate that cannot agree (:meth:`RunReport.can_agree`: its module
    did not load, or no check returned) is a cluster of its own. All reports are assumed to come from
    the same checks."""
    groups: dict[tuple[str, ...], list[str]] = {}
    order: list[list[str]] = []
    for cid, report in reports.items():
        if not report.can_agree():
            order.append([cid])
            continue
        key = report.behaviour()
        if key not in groups:
            groups[key] = []
            order.append(groups[key])
        groups[key].append(cid)
    return sorted(order, key=len, reverse=True)  # sorted() is stable: ties keep first appearance


def codet_scores(reports: Mapping[str, RunReport], clusters: list[list[str]]) -> dict[str, float]:
    """Agreement per candidate in [0, 1]: CodeT's dual execution agreement, with the cluster first.

    For a cluster ``S`` of candidates with identical behaviour, ``score(S) = |S| + p(S) / 2`` where
    ``p(S)`` is the share of generated tests (checks with an expected value, source ``generated``) that
    the cluster's behaviour passes. CodeT multiplies ``|S| * p(S)``; with a 1.5B tester many expected
    values are wrong (the model cannot run the function in its head), and a product lets one sample
    that matches wrong tests outvote two that agree. Here a larger cluster outranks a smaller one
    (or ties it), and generated tests order clusters of equal size. Each member gets its cluster's
    score divided by the largest. Candidates whose module did not load score 0.
    """
    raw: dict[str, float] = {}
    for cluster in clusters:
        first = reports[cluster[0]]
        total = first.total("generated")
        share = first.passed("generated") / total if total else 0.0
        score = len(cluster) + share / 2 if first.loaded else 0.0
        for cid in cluster:
            raw[cid] = score
    top = max(raw.values(), default=0.0)
    return {cid: (score / top if top > 0 else 0.0) for cid, score in raw.items()}
