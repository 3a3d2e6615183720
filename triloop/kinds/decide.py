"""Which kind a task is: does the person want code delivered, or an answer?

The order is fixed and cheap first:

1. ``explicit``: a kind the caller named (``triloop solve --kind``, ``triloop code``, the API) wins.
2. ``claim``: a registered kind claims the task by its shape (a ``def`` stub, ``--signature``, tests).
3. ``wording``: a clear request for code ("write a function ...", "fix this code: ```...```"), or a
   message that says nothing about programming at all (a word problem, a date, a fact) - no model call.
4. ``model``: what is left (a question that mentions Python or code) goes to the model, asked the one
   question that matters: code delivered, or an answer? "Use Python to compute X" wants X.
5. ``default``: when the model cannot say, an answer: a person who wanted code can ask for it, while a
   person who wanted a number and got a function is stuck.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from pydantic import BaseModel

from triloop.agents.base import AgentContext
from triloop.agents.errors import AgentParseError
from triloop.agents.meter import BudgetExhausted
from triloop.kinds.names import TaskKind

DecidedBy = Literal["explicit", "claim", "wording", "model", "default"]


class KindDecision(NamedTuple):
    kind: TaskKind
    by: DecidedBy
    reason: str


class DeliverReply(BaseModel):
    deliver: Literal["code", "answer"]


DELIVER = """Decide what the person wants delivered.
"code": they want source code as the result: a function, script, program, class, query, regex, tests, \
or their code fixed or changed.
"answer": they want a result: a number, a date, a yes/no, a word, an explanation, advice, or a text \
(a poem, story, letter, post, summary, translation), even when its topic is programming. A request to \
compute, count, find or check something wants the result, even when it says to use Python or a program.
Reply with only JSON: {"deliver": "code"} or {"deliver": "answer"}"""

# Things a person may ask to have written; "code" alone too ("write the code for ...").
_ARTEFACT = (
    r"(?:function|method|class|script|program|programme|module|library|code|snippet|regex|"
    r"regular expression|sql|query|unit tests?|test suite|tests? for (?:this|the|my) code|cli|"
    r"command[- ]line tool|api endpoint|endpoint|decorator|one-liner|makefile|dockerfile|web ?page|"
    r"html|css|json schema|dataclass|typescript|javascript|python|rust|golang|java|c\+\+|c#|kotlin|"
    r"swift|ruby|php|haskell|scala|perl|lua|matlab|bash|shell|pandas|numpy|"
    # things that are code without the name: commands, formulas, configuration, pipelines
    r"(?:shell |bash |powershell |terminal |linux |git |unix )?command|powershell|formula|"
    r"spreadsheet formula|excel|google sheets|vba|macro|config(?:uration)?(?: file)?|nginx|apache|"
    r"yaml|toml|docker[- ]compose|kubernetes|k8s|manifest|helm chart|terraform|ansible|playbook|"
    r"workflow|github actions|ci pipeline|pipeline|cron(?: expression| job)?|crontab|systemd unit|"
    r"latex|awk|sed|jq|matplotlib|seaborn|plotly|ggplot2?|(?:scatter |bar |line )?plot|html page|"
    r"contact form|one liner)"
)
_REQUEST = r"(?:write|create|build|generate|make|code|program|develop|design|produce|draft|give me|show me|provide|add|extend|refactor|rewrite|port|translate|convert|fix|debug|repair|correct|optimi[sz]e|speed up|clean up|modify|change|update)"
# Where a request starts: a sentence's start, or after "please", "can you", ...
_ASKED = r"(?:^|[.!?\n]\s*|\b(?:please|can you|could you|would you|i need you to|i want you to|help me)\s+)"
# "Write a function ...", "Can you implement a class ...", "Please fix this code"
_CODE_REQUEST = re.compile(
    rf"{_ASKED}"
    rf"{_REQUEST}\b[^.?!\n]{{0,80}}?\b{_ARTEFACT}\b",
    re.IGNORECASE,
)
# "Implement X": whatever X is, the person wants it built in code.
_IMPLEMENT = re.compile(rf"{_ASKED}implement\b", re.IGNORECASE)
# A request without a verb: "regex for emails", "nginx config that redirects ...", "bash one-liner to ..."
_FRAGMENT = re.compile(
    rf"^\s*(?:an?\s+|the\s+|some\s+)?(?:[\w+#.-]+\s+){{0,2}}{_ARTEFACT}s?\s*(?::|to|that|for|which)\s",
    re.IGNORECASE,
)
# A question (not "how do I ...", which wants a snippet): "What does yield do?", "Should I use X or Y?"
_QUESTION = re.compile(
    r"^\s*(?:what|why|which|when|where|who|whose|is|are|was|were|does|did|should|would|will|has|have)\b"
    r"[^\n?]*\?",
    re.IGNORECASE,
)
# Prose to write is an answer even when its topic is code: "write a limerick about a cat who codes"
_GENRE = (
    r"(?:poem|limerick|haiku|sonnet|story|essay|letter|e-?mail|song|joke|speech|toast|tweet|post|"
    r"summary|abstract|paragraph|message|note|bio|description|review|cover letter|resignation letter)"
)
_TEXT_REQUEST = re.compile(
    rf"{_ASKED}{_REQUEST}\s+"
    rf"(?:me\s+)?(?:an?\s+|the\s+|my\s+|some\s+)?(?:\d+[- ]word\s+|short\s+|brief\s+|funny\s+|polite\s+|formal\s+)*{_GENRE}\b|"
    # without a verb, only as the whole message's opening: "Short story where ...", "cover letter for ..."
    r"^\s*(?:an?\s+)?(?:short\s+|brief\s+|funny\s+)?(?:poem|limerick|haiku|sonnet|story|essay|cover letter|"
    r"e-?mail|song|joke|speech|tweet|linkedin post|summary|bio)\b|"
    r"^\s*(?:summari[sz]e|paraphrase|proofread|explain|describe|compare)\b",
    re.IGNORECASE,
)
# A code block or inline code, or a programming word anywhere: then the wording alone is not enough.
_PROGRAMMING = re.compile(
    rf"```|`[^`\n]+`|\bdef\s+\w+\s*\(|\bimport\s+\w+|\b{_ARTEFACT}\b|\bcompile|\bprogramming\b|"
    r"\b[a-z]+_[a-z_]+\b|\b[a-z_]\w*\([^)]*\)|\b(?:func|implement\w*|mysql|postgres\w*|sqlite|database|"
    r"thread\w*|array|linked list|hash ?map|binary search|quicksort|recursion|in (?:c|go)|"
    r"bugs?|debug\w*|traceback|git|docker|npm|pip|conda|linux|terminal|command line|vim|vs ?code)\b",
    re.IGNORECASE,
)
# Fixing code the person pasted: "fix", "debug" ... with a code block.
_FIX_PASTED = re.compile(
    rf"\b(?:{_REQUEST}|make (?:it|this) work|doesn'?t work|does not work)\b", re.IGNORECASE
)
# A question about pasted code wants an answer: "what does this print", "why does it raise ..."
_ASK_ABOUT_CODE = re.compile(
    r"\b(?:what (?:does|will|would|is)\b[^?\n]{0,60}\b(?:print|output|return|evaluate|display|show)|"
    r"what is the (?:output|result|value|complexity|time complexity|big[- ]o)|why does|why is|"
    r"explain|is there a bug|how many times)",
    re.IGNORECASE,
)


# "Use Python to compute X", "calculate X with a program", "I just want the number": a result, computed
_COMPUTE = r"(?:compute|calculate|count|find|determine|work out|evaluate|check|get|figure out|solve|tell me)"
_TOOL = r"(?:python|a program|a script|code|a computer|numpy|sympy|excel|a spreadsheet|a calculator|r)"
_RESULT_WANTED = re.compile(
    rf"\b(?:use|using|with|in|via|run)\s+(?:some\s+)?{_TOOL}\b[^.?!\n]{{0,40}}?\b{_COMPUTE}\b|"
    rf"\b{_COMPUTE}\b[^.?!\n]{{0,60}}?\b(?:using|with|in|via)\s+{_TOOL}\b",
    re.IGNORECASE,
)
_ONLY_RESULT = re.compile(
    r"\b(?:just|only) (?:want|need) the (?:number|answer|result|value)\b|\bdon'?t (?:need|want) (?:the )?code\b",
    re.IGNORECASE,
)


def by_wording(text: str) -> KindDecision | None:
    """The kind the wording alone makes clear, or None (then the model decides)."""
    has_block = "```" in text
    head = text.split("```", 1)[0]  # the request is what the person wrote, not the code they pasted
    if has_block and _ASK_ABOUT_CODE.search(head) and not _CODE_REQUEST.search(head):
        return KindDecision("general", "wording", "a question about the code shown")
    if _ONLY_RESULT.search(head):
        return KindDecision("general", "wording", "says it wants the result, not the code")
    if _TEXT_REQUEST.search(head):
        return KindDecision("general", "wording", "asks for a text to be written, not code")
    if _CODE_REQUEST.search(head) or _IMPLEMENT.search(head):
        return KindDecision("coding", "wording", "asks to write or change code")
    if _RESULT_WANTED.search(head) and not has_block:
        return KindDecision("general", "wording", "asks for a result computed with code, not for the code")
    if _FRAGMENT.search(head):
        return KindDecision("coding", "wording", "names the code it wants")
    if not has_block and _QUESTION.match(text):
        return KindDecision("general", "wording", "a question: it wants an answer")
    if has_block and _FIX_PASTED.search(head):
        return KindDecision("coding", "wording", "asks to fix or change the code shown")
    if not _PROGRAMMING.search(text):
        return KindDecision("general", "wording", "says nothing about code: it wants an answer")
    return None


def ask_model(ctx: AgentContext, text: str) -> KindDecision:
    """The model alone: code delivered, or an answer? An unreadable reply or a spent budget: an answer."""
    messages = [{"role": "system", "content": DELIVER}, {"role": "user", "content": text[:2000]}]
    try:
        reply = ctx.complete_json(messages, DeliverReply, role="solver", purpose="kind", temperature=0.0)
    except (AgentParseError, BudgetExhausted) as exc:
        return KindDecision("general", "default", f"the model gave no decision ({exc}): an answer")
    if reply.deliver == "code":
        return KindDecision("coding", "model", "the model read it as a request for code")
    return KindDecision("general", "model", "the model read it as a question")


def decide_kind(ctx: AgentContext | None, text: str, *, claimed: str | None = None) -> KindDecision:
    """The kind of ``text``: a kind claimed by the task's shape first, then wording, then the model."""
    if claimed is not None:
        return KindDecision(claimed, "claim", f"the {claimed} kind claims the task")  # type: ignore[arg-type]
    found = by_wording(text)
    if found is not None:
        return found
    if ctx is None:
        return KindDecision("general", "default", "no model to ask: an answer")
    return ask_model(ctx, text)
