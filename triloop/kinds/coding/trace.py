"""An LDB-style runtime trace of one call: what the variables held after each basic block.

LDB (Zhong et al. 2024, "Debug like a human") shows the model the intermediate states of a failing
run, block by block, so its feedback can name the block where a value first goes wrong instead of
guessing from the final output. :func:`trace_call` runs the call in the sandbox under ``sys.settrace``
(only frames of the candidate's own file: its helpers are followed, the stdlib is not) and
:func:`render_trace` turns the result into a few prompt lines.

A block is a run of consecutively executed lines of one frame: it ends at a jump (loop back-edge,
branch), at a call into another traced frame and at a return. Results come back as one JSON line
tagged with a fresh secret on the harness's saved stderr, as in :mod:`triloop.kinds.coding.checks`.
"""

from __future__ import annotations

import json
import secrets
from itertools import pairwise

from pydantic import BaseModel

from triloop.kinds.coding.checks import tagged_events
from triloop.tools.sandbox.base import Sandbox

#: Line events recorded at most; after that tracing stops and the call runs on untraced.
MAX_EVENTS = 10_000
#: Locals kept per block snapshot (parameters come first) and source lines kept per block.
MAX_LOCALS = 12
MAX_SOURCE_LINES = 6

#: The sandbox-side tracer (stdlib only). Reads trace.json (and deletes it: it holds the tag), loads
#: solution.py, evaluates the call with the tracer on and a timer, prints one tagged JSON line.
HARNESS = r"""
import bisect, collections, dis, io, json, os, reprlib, signal, sys, time, types
START = time.monotonic()
with open("trace.json", encoding="utf-8") as fh:
    SPEC = json.load(fh)
os.remove("trace.json")
OUT = os.dup(2)
TAG = SPEC.pop("tag")

class Timeout(BaseException):
    pass

def on_alarm(signum, frame):
    raise Timeout()

signal.signal(signal.SIGALRM, on_alarm)
sys.stdout.flush()
sys.stderr.flush()
null = os.open(os.devnull, os.O_WRONLY)
os.dup2(null, 1)
os.dup2(null, 2)
class Null(io.TextIOBase):
    def writable(self):
        return True
    def write(self, s):
        return len(s)

sys.stdout = sys.stderr = Null()
MAX_REPR, MAX_BLOCKS, MAX_EVENTS = SPEC["max_repr"], SPEC["max_blocks"], SPEC["max_events"]
SKIP = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)
short = reprlib.Repr()
short.maxstring = short.maxother = MAX_REPR
short.maxlist = short.maxtuple = short.maxset = short.maxdict = short.maxdeque = 12
short.maxlevel = 3

def show(value):
    try:
        text = short.repr(value)
    except BaseException as exc:
        text = "<repr failed: %s>" % type(exc).__name__
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 3] + "..."

def describe(exc):
    return "%s: %s" % (type(exc).__name__, str(exc)[:200]) if str(exc) else type(exc).__name__

def result_of(exc):
    return "raised " + describe(exc)

class Tracer:
    def __init__(self, path, lines):
        self.path, self.lines = path, lines
        self.events = self.count = 0
        self.head, self.tail = [], collections.deque(maxlen=MAX_BLOCKS - MAX_BLOCKS // 2)
        self.open = None
        self.depth = {}
        self.raised = {}
        self.starts = {}
        self.capped = False

    def next_line(self, code, line):
        if code not in self.starts:
            self.starts[code] = sorted({n for _, n in dis.findlinestarts(code) if n is not None})
        starts = self.starts[code]
        at = bisect.bisect_right(starts, line)
        return starts[at] if at < len(starts) else None

    def close(self, extra=None):
        block, self.open = self.open, None
        if block is None:
            return
        frame = block.pop("frame")
        state = {}
        for name, value in list(frame.f_locals.items()):
            if len(state) >= SPEC["max_locals"]:
                break
            if not name.startswith("__") and not isinstance(value, SKIP):
                state[name] = show(value)
        state.update(extra or {})
        block["state"] = state
        block["index"] = self.count
        self.count += 1
        (self.head if len(self.head) < MAX_BLOCKS // 2 else self.tail).append(block)

    def start(self, frame, line):
        name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)  # Solution.twoSum (3.11+)
        source = [self.lines[line - 1].strip()] if 0 < line <= len(self.lines) else []
        self.open = {"frame": frame, "function": name, "first_line": line, "last_line": line,
                     "depth": self.depth.get(frame, 0), "source": source}

    def on_call(self, frame, event, arg):
        if event != "call" or frame.f_code.co_filename != self.path or frame.f_code.co_name in (
            "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"):
            return None
        if self.capped:
            return None
        self.close()
        parent = frame.f_back
        while parent is not None and parent not in self.depth:  # through untraced frames (comprehensions)
            parent = parent.f_back
        self.depth[frame] = self.depth[parent] + 1 if parent is not None else 0
        return self.local

    def local(self, frame, event, arg):
        if event == "line":
            self.raised.pop(frame, None)
            if self.capped:
                return self.local
            self.events += 1
            if self.events > MAX_EVENTS:
                self.capped = True
                self.close()
                frame.f_trace_lines = False
                sys.settrace(None)
                return self.local
            line = frame.f_lineno
            block = self.open
            if block is not None and block["frame"] is frame and (
                line == block["last_line"] or line == self.next_line(frame.f_code, block["last_line"])):
                if line != block["last_line"] and len(block["source"]) < SPEC["max_source"]:
                    block["source"].append(self.lines[line - 1].strip())
                block["last_line"] = line
            else:
                self.close()
                self.start(frame, line)
        elif event == "exception":
            self.raised[frame] = describe(arg[1])
        elif event == "return":
            if not self.capped:
                if self.open is None or self.open["frame"] is not frame:
                    self.close()
                    self.start(frame, frame.f_lineno)
                raised = self.raised.pop(frame, None)
                self.close({"<raised>": raised} if raised else {"<return>": show(arg)})
            self.depth.pop(frame, None)
        return self.local

def finish(blocks, result, truncated, total, error=None, stopped=False):
    line = json.dumps({"blocks": blocks, "result": result, "truncated": truncated,
                       "total_blocks": total, "error": error, "stopped": stopped})
    os.write(OUT, ("\n%s %s\n" % (TAG, line)).encode("utf-8", "replace"))

deadline = START + SPEC["budget"]
try:
    signal.setitimer(signal.ITIMER_REAL, max(0.05, deadline - time.monotonic()))
    import solution
    signal.setitimer(signal.ITIMER_REAL, 0)
except BaseException as exc:
    signal.setitimer(signal.ITIMER_REAL, 0)
    error = "module did not load: " + result_of(exc)
    if isinstance(exc, Timeout):
        error = "timed out while loading"
    finish([], "not run", False, 0, error)
    sys.exit(0)
path = os.path.abspath(solution.__file__)
with open(path, encoding="utf-8", errors="replace") as fh:
    tracer = Tracer(path, fh.read().splitlines())
call = compile(SPEC["call"], "<call>", "eval")
try:
    signal.setitimer(signal.ITIMER_REAL, max(0.05, deadline - time.monotonic()))
    sys.settrace(tracer.on_call)
    try:
        value = eval(call, vars(solution))
        sys.settrace(None)
        result = "returned " + show(value)
    finally:
        sys.settrace(None)
        signal.setitimer(signal.ITIMER_REAL, 0)
except Timeout:
    result = "timed out"
except BaseException as exc:
    result = result_of(exc)
tracer.close()
blocks = tracer.head + list(tracer.tail)
finish(blocks, result, tracer.capped or tracer.count > len(blocks), tracer.count, None, tracer.capped)
"""


class TraceBlock(BaseModel):
    """One basic block as executed: its lines and the frame's locals right after it."""

    function: str
    first_line: int
    last_line: int
    source: list[str]  # the executed source lines of the block, stripped (at most a few)
    state: dict[str, str]  # locals after the block, name -> cut repr; "<return>"/"<raised>" at a return
    index: int = 0  # position among all blocks of the run (gaps show where blocks were dropped)
    depth: int = 0  # call depth among traced frames (0: the called function; recursion goes deeper)


class Trace(BaseModel):
    """The run of one call, block by block."""

    call: str
    blocks: list[TraceBlock] = []
    result: str  # "returned <repr>", "raised <Type>: <msg>", "timed out" (or "not run")
    truncated: bool = False  # blocks were dropped (the first and last ones are kept) or tracing stopped
    total_blocks: int = 0  # blocks recorded, kept or dropped
    stopped: bool = False  # tracing stopped after MAX_EVENTS lines; the call ran on untraced
    error: str | None = None  # the module did not load, the sandbox process died, ...


def trace_call(
    sandbox: Sandbox,
    code: str,
    call: str,
    *,
    max_blocks: int = 30,
    max_repr: int = 80,
    timeout: float = 10.0,
) -> Trace:
    """Run ``call`` (an expression, e.g. ``"f([2, 2])"``) on the module ``code`` in one sandbox
    execution and record its blocks: the first ``max_blocks // 2`` and the last ones, each variable's
    repr cut to ``max_repr`` characters. The call is stopped at ``timeout`` seconds less a margin for
    start-up (``result="timed out"``), and the process at ``timeout``."""
    tag = f"triloop-trace-{secrets.token_hex(12)}"
    max_blocks = max(2, max_blocks)
    spec = {
        "tag": tag,
        "call": call,
        "budget": max(timeout * 0.8, timeout - 3.0),
        "max_blocks": max_blocks,
        "max_repr": max(8, max_repr),
        "max_events": MAX_EVENTS,
        "max_locals": MAX_LOCALS,
        "max_source": MAX_SOURCE_LINES,
    }
    result = sandbox.execute(
        HARNESS, files={"solution.py": code, "trace.json": json.dumps(spec)}, timeout=timeout
    )
    events = tagged_events(result.stderr, tag)
    if not events:
        why = "timed out" if result.timed_out else f"exit code {result.exit_code}"
        return Trace(
            call=call,
            result="timed out" if result.timed_out else "crashed",
            error=f"the sandbox process ended before reporting ({why}): {result.stderr[-300:]}".strip(),
        )
    data = events[-1]
    return Trace(
        call=call,
        blocks=[TraceBlock(**b) for b in data.get("blocks", [])],
        result=str(data.get("result")),
        truncated=bool(data.get("truncated")),
        total_blocks=int(data.get("total_blocks") or 0),
        error=data.get("error"),
        stopped=bool(data.get("stopped")),
    )


def _block_line(block: TraceBlock, width: int = 240) -> str:
    code = f"`{block.source[0]}`" if block.source else ""
    if len(block.source) > 1:
        code += " ..."
    span = block.first_line, block.last_line
    lines = f"line {span[0]}" if span[0] == span[1] else f"lines {span[0]}-{span[1]}"
    nest = f" (depth {block.depth})" if block.depth else ""
    state = ", ".join(f"{k}={v}" for k, v in block.state.items())
    return _cut(
        f"[block {block.index}] {block.function}{nest} {lines}: {code} -> {state or '(no locals)'}", width
    )


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


#: (lines, characters per line) tried in turn until a trace fits the room a prompt leaves it.
_SHAPES = ((40, 240), (24, 160), (12, 120), (6, 100))


def render_trace(
    trace: Trace, *, expected: str | None = None, max_lines: int = 40, max_chars: int | None = None
) -> str:
    """The trace as prompt text: one line per block, ``... N blocks ...`` where blocks were dropped
    (by the sandbox or to stay within ``max_lines``), then the result and what was expected.

    With ``max_chars`` the trace shrinks (fewer, shorter lines) until it fits, and is ``""`` when even
    the smallest shape does not: a prompt over the model's context would fail the whole review."""
    if max_chars is None:
        return _render(trace, expected, max_lines, 240)
    for lines, width in _SHAPES:
        text = _render(trace, expected, min(lines, max_lines), width)
        if len(text) <= max_chars:
            return text
    return ""


def _render(trace: Trace, expected: str | None, max_lines: int, width: int) -> str:
    def fit(line: str) -> str:
        return _cut(line, width)

    head = [fit(f"trace of {trace.call}:")]
    if trace.error:
        head.append(fit(f"error: {trace.error}"))
    tail = [fit(f"result: {trace.result}")]
    if trace.stopped:
        tail.insert(0, f"... tracing stopped after {MAX_EVENTS} lines; the call went on untraced ...")
    if expected is not None:
        tail.append(fit(f"expected {expected}"))
    room = max_lines - len(head) - len(tail)
    blocks = trace.blocks
    gaps = sum(1 for a, b in pairwise(blocks) if b.index > a.index + 1)
    if room >= len(blocks) + gaps:
        body = []
        for prev, block in zip([None, *blocks], blocks, strict=False):
            if prev is not None and block.index > prev.index + 1:
                body.append(f"... {block.index - prev.index - 1} blocks ...")
            body.append(_block_line(block, width))
    elif room >= 3:
        first = (room - 1) // 2
        last = room - 1 - first
        kept_head, kept_tail = blocks[:first], blocks[len(blocks) - last :]
        dropped = kept_tail[0].index - kept_head[-1].index - 1
        body = [
            *(_block_line(b, width) for b in kept_head),
            f"... {dropped} blocks ...",
            *(_block_line(b, width) for b in kept_tail),
        ]
    else:
        body = [f"... {len(blocks)} blocks ..."] if blocks and room >= 1 else []
    return "\n".join([*head, *body, *tail][-max_lines:] if max_lines > 0 else [])
