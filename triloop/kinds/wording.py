"""What the wording of a message makes clear, with no model call: code wanted, an answer wanted, or open.

The rules are deliberately conservative: each one names a shape people write ("write a function ...",
"use Python to compute ...", "write a poem about ..."); what none of them settles goes to the model
(:func:`triloop.kinds.decide.ask_model`). Words that are code only in a technical context ("script",
"program", "formula", "query", ...) decide only next to a technical word; alone they go to the model
("write a script for a YouTube video" is prose).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from triloop.kinds.names import TaskKind


class Reading(NamedTuple):
    kind: TaskKind
    reason: str


# Code whatever the context.
_STRONG = (
    r"(?:functions?|regex(?:es)?|regular expressions?|sql(?: query)?|unit tests?|test suite|decorator|"
    r"one-?liner|one liner|makefile|dockerfile|dataclass|endpoint|snippet|cli|command[- ]line tool|"
    r"json schema|html page|web ?page|crontab|cron (?:expression|job)|systemd unit|helm chart|"
    r"docker[- ]compose(?: file)?|github actions(?: workflow)?|(?:bash|shell|python|powershell) script|"
    r"(?:excel|sheets|spreadsheet) formula|contact form)"
)
# Code in a technical context; prose otherwise ("a lesson plan", "a workout program", "dress code").
_WEAK = (
    r"(?:code|script|program|programme|method|class|library|module|formula|workflow|pipeline|query|"
    r"plot|chart|macro|manifest|command|config(?:uration)?(?: file)?|playbook|schema|app|tool)"
)
# Languages and tools: the technical context.
_TECH = (
    r"(?:python|javascript|typescript|node(?:\.js)?|react|django|flask|rust|golang|go|java|c\+\+|c#|c|"
    r"kotlin|swift|ruby|php|haskell|scala|perl|lua|matlab|r|bash|shell|zsh|powershell|sql|mysql|"
    r"postgres\w*|sqlite|excel|google sheets|vba|nginx|apache|yaml|toml|json|docker|kubernetes|k8s|"
    r"terraform|ansible|git|linux|unix|cron|html|css|latex|awk|sed|jq|pandas|numpy|matplotlib|seaborn|"
    r"plotly|ggplot2?|api|regex)"
)
_TECH_WORD = re.compile(rf"\b{_TECH}\b", re.IGNORECASE)
_REQUEST = (
    r"(?:write|create|build|generate|make|code|develop|design|produce|draft|give me|show me|provide|add|"
    r"extend|refactor|rewrite|port|translate|convert|fix|debug|repair|optimi[sz]e|speed up|clean up|"
    r"modify|change|update)"
)
# Where a request starts: a sentence's start, or after "please", "can you", ...
_ASKED = (
    r"(?:^|[.!?\n]\s*|\b(?:please|can you|could you|would you|i need you to|i want you to|help me|"
    r"and(?: then)?)\s+)"
)
# "Write a function ...", "Can you create a bash script ...", "Please fix this code"
_CODE_REQUEST = re.compile(
    rf"{_ASKED}{_REQUEST}\b[^.?!\n]{{0,80}}?\b(?P<what>{_STRONG}|{_WEAK}|{_TECH})\b", re.IGNORECASE
)
# "Implement an LRU cache": code, unless what is implemented is a plan, a policy, a habit ...
_IMPLEMENT = re.compile(
    rf"{_ASKED}implement\s+(?:(?:a|an|the|our|my|this|these|some|new|better)\s+)*+"
    r"(?!(?:plan|strateg|polic|process|idea|change|recommendation|measure|initiative|procedure|budget|"
    r"diet|routine|habit|rule|system of)\w*)",
    re.IGNORECASE,
)
# A request without a verb: "regex for emails", "nginx config that redirects ...", "bash one-liner to ..."
_FRAGMENT = re.compile(
    rf"^\s*(?:an?\s+|the\s+|some\s+)?(?:[\w+#.-]+\s+){{0,2}}(?P<what>{_STRONG}|{_WEAK})s?\s*(?::|to|that|for|which)\s",
    re.IGNORECASE,
)
# A text to write is an answer even when its topic is code: "write a limerick about a cat who codes".
# The genre must end the noun phrase ("a post about X", not "a post request handler").
_GENRE = (
    r"(?:poem|limerick|haiku|sonnet|ode|rhyme|riddle|story|essay|letter|e-?mail|song|lyrics|verse|rap|"
    r"joke|speech|toast|eulogy|tweet|post|summary|abstract|paragraph|intro|introduction|message|note|bio|"
    r"description|review|reply|response|apology|announcement|press release|newsletter|blurb|caption|"
    r"slogan|tagline|headline|pitch|cover letter|resignation letter)"
)
_GENRE_END = r"(?!-)(?=\s+(?:about|on|for|to|that|which|where|with|from|in|of|announcing|explaining|describing|asking|thanking|saying)\b|\s*[,.:;!?(]|\s*$)"
_TEXT_REQUEST = re.compile(
    rf"{_ASKED}{_REQUEST}\s+(?:me\s+)?(?:an?\s+|the\s+|my\s+|some\s+|this\s+|that\s+|our\s+|your\s+)?"
    rf"(?:[\w-]+\s+){{0,2}}{_GENRE}{_GENRE_END}|"
    # without a verb, only as the whole message's opening: "Short story where ...", "cover letter for ..."
    rf"^\s*(?:an?\s+)?(?:[\w-]+\s+)?(?:poem|limerick|haiku|sonnet|story|essay|cover letter|e-?mail|song|"
    rf"joke|speech|tweet|linkedin post|summary|bio){_GENRE_END}",
    re.IGNORECASE,
)
# "Explain ...", "Summarize ...": an answer, unless the same message also asks for code
_EXPLAIN = re.compile(r"^\s*(?:summari[sz]e|paraphrase|proofread|explain|describe)\b", re.IGNORECASE)
# A question (not "how do I ...", which wants a snippet): "What does yield do?", "Should I use X or Y?"
_QUESTION = re.compile(
    r"^\s*(?:what|why|which|when|where|who|whose|is|are|was|were|does|did|should|would|will|has|have)\b"
    r"[^\n?]*\?",
    re.IGNORECASE,
)
_HOW_DO_I = re.compile(
    r"^\s*(?:how (?:do|can|should|would) (?:i|you|we|one)|how to|what'?s the (?:best )?way)\b", re.IGNORECASE
)
# A code block or inline code, or a programming word anywhere: then the wording alone is not enough.
_PROGRAMMING = re.compile(
    rf"```|`[^`\n]+`|\bdef\s+\w+\s*\(|\bimport\s+\w+|\b(?:{_STRONG}|{_WEAK}|{_TECH})\b|\bcompile|"
    r"\bprogramming\b|\b[a-z]+_[a-z_]+\b|\b[a-z_]\w*\([^)]*\)|\b(?:func|mysql|database|thread\w*|array|"
    r"linked list|hash ?map|binary search|quicksort|recursion|bugs?|debug\w*|traceback|npm|pip|conda|"
    r"terminal|command line|vim|vs ?code)\b",
    re.IGNORECASE,
)
# Changing code the person pasted (verbs only: "is this code correct?" is a question)
_FIX_PASTED = re.compile(
    r"\b(?:fix|debug|repair|optimi[sz]e|refactor|rewrite|port|convert|translate|speed up|clean up|"
    r"make (?:it|this) (?:work|faster)|doesn'?t work|does not work|add)\b",
    re.IGNORECASE,
)
# A question about pasted code wants an answer: "what does this print", "why does it raise ..."
_ASK_ABOUT_CODE = re.compile(
    r"\b(?:what (?:does|will|would|is)\b[^?\n]{0,60}\b(?:print|output|return|evaluate|display|show|match)|"
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
_WEAK_WORD = re.compile(rf"^{_WEAK}$", re.IGNORECASE)


def _names_code(match: re.Match[str] | None, head: str) -> bool:
    """A match names code: a strong artefact, a language, or a weak one in a technical context."""
    if match is None:
        return False
    what = match.group("what")
    return not _WEAK_WORD.match(what) or bool(_TECH_WORD.search(head))


def _code_request(head: str) -> bool:
    asked = _CODE_REQUEST.search(head)
    return _names_code(asked, head) or bool(_IMPLEMENT.search(head))


def read(text: str) -> Reading | None:
    """What the wording alone makes clear, or None (then the model decides)."""
    has_block = "```" in text
    head = text.split("```", 1)[0]  # the request is what the person wrote, not the code they pasted
    wants_change = bool(_FIX_PASTED.search(head))
    if has_block and _ASK_ABOUT_CODE.search(head) and not wants_change and not _code_request(head):
        return Reading("general", "a question about the code shown")
    if _ONLY_RESULT.search(head):
        return Reading("general", "says it wants the result, not the code")
    if _TEXT_REQUEST.search(head):
        return Reading("general", "asks for a text to be written, not code")
    if _code_request(head):
        return Reading("coding", "asks to write or change code")
    if _EXPLAIN.search(head):
        return Reading("general", "asks for an explanation")
    if _RESULT_WANTED.search(head) and not has_block and not _HOW_DO_I.search(head):
        return Reading("general", "asks for a result computed with code, not for the code")
    if _names_code(_FRAGMENT.search(head), head):
        return Reading("coding", "names the code it wants")
    if not has_block and _QUESTION.match(text):
        return Reading("general", "a question: it wants an answer")
    if has_block and wants_change:
        return Reading("coding", "asks to fix or change the code shown")
    if not _PROGRAMMING.search(text):
        return Reading("general", "says nothing about code: it wants an answer")
    return None


def asks_for_text(text: str) -> bool:
    """A text to write or an explanation (no computation, even if it holds numbers)."""
    head = text.split("```", 1)[0]
    return bool(_TEXT_REQUEST.search(head) or _EXPLAIN.search(head))
