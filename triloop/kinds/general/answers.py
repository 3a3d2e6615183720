"""Answers as values: read the answer a reply states, and compare answers written differently.

Answers come from a small model's ``Final answer:`` line or from what a program printed, and agreement
between candidates is counted on them: a wrong "same" merges different answers into a false majority, a
wrong "different" splits a right one. The rules of :func:`canonical`:

* Numbers compare by exact value (:class:`~fractions.Fraction`, never float): "1,234", "1 234", "−5",
  "6.02e23", "6.02 × 10^23", "3/4", ``\\frac{3}{4}``, "1 1/2". Keys: an integer ("80780754611"), else an
  exact decimal ("0.75" for 3/4), else the reduced fraction ("1/3").
* Units are dropped (the question fixes them): a currency before ("$", "£", "USD") and a unit after
  ("dollars", "km", "%", "days") leave the number, so "45%" == "45" (not 0.45) and "5 days" == "5".
  Scale words multiply ("1.2 million"); words that change the value ("or more", "squared"), a
  variable ("2x") or a second number make it not a number.
* Prose around one number goes: "The answer is 42.", "x = 42", "42, because ...", "42 (approx)". Several
  numbers stay text: "2 × 433" (a factorisation) is neither 866 nor 2; ×, * and x between numbers are
  unified, spacing normalised, factors kept in order.
* A comma followed by a space, or not by exactly three digits, separates list items: "3, 5, 7" and
  "[3, 5, 7]" are a list (items keyed one by one, order kept); "1,234" is a number.
* yes/true and no/false are "yes" and "no" ("Yes, because ..." too); dates are ISO ("March 5, 2024",
  "5 March 2024" -> "2024-03-05"; "03/05/2024" is ambiguous and stays text); times are 24-hour
  ("2:30 PM" -> "14:30"; zero seconds dropped).
* Other text: case-folded, whitespace collapsed, enclosing quotes or brackets and trailing punctuation
  removed, a leading article (a, an, the) dropped.

:func:`same_answer` also takes two numbers, not both integers, within a relative 1e-6 (float printing:
"0.333333" is 1/3, "0.33" is not); integers always compare exactly.
"""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction

_REL_TOL = Fraction(1, 10**6)

_FINAL = re.compile(r"final\s+answer[*_]*\s*(?:is\b\s*[:：=]?|[:：=])[*_]*\s*(.*)", re.IGNORECASE)
_CMD = re.compile(r"\\(boxed|fbox|[dt]?frac|sqrt|text\w*|math\w*|operatorname)\s*(?=\{)")
_TEX = re.compile(r"\\(?:(times|cdot|div|left|right|pi)(?![A-Za-z])|([%$,!;() \[\]{}]))")
_TEX_PLAIN = {"times": "×", "cdot": "×", "div": "÷", "pi": "π", ";": " ", " ": " "} | {c: c for c in "%${}"}
_SPACES = str.maketrans(dict.fromkeys("\u00a0\u2007\u2009\u202f", " "))
_MINUS = str.maketrans("−–", "--")
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_BOLD = re.compile(r"(?<!\w)(\*\*|__)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_POWER = re.compile(r"\^\s*\{\s*([+\-−]?\w+)\s*\}")
_PERIOD = re.compile(r"(?<!\.[A-Za-z])\.$")  # "42." but not "U.S." or "p.m."

_PREFIX = re.compile(r"^(?:so,?\s+)?(?:the\s+)?(?:final\s+)?answer\s*(?:is\b|[:=])\s*", re.IGNORECASE)
_ASSIGN = re.compile(r"[A-Za-z]\w{0,15}\s*[=≈]\s*([^=≈]+)")
_YESNO = re.compile(r"(yes|no|true|false)(?:(?:[,.;:!]|\s—)(?!\s*(?:yes|no|true|false)\b).*)?", re.DOTALL)
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september")
_MONTH_NAMES += ("october", "november", "december")
_MONTHS = {n: i for i, n in enumerate(_MONTH_NAMES, 1)} | {n[:3]: i for i, n in enumerate(_MONTH_NAMES, 1)}
_MONTHS |= {"sept": 9}
_DAY, _WEEKDAY = r"(\d{1,2})(?:st|nd|rd|th)?", r"(?:[a-z]+day,?\s+)?"
_DATES = (
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), "ymd"),
    (re.compile(rf"{_WEEKDAY}([a-z]+)\.?\s+{_DAY},?\s+(\d{{4}})"), "mdy"),
    (re.compile(rf"{_WEEKDAY}(?:the\s+)?{_DAY}\s+(?:of\s+)?([a-z]+)\.?,?\s+(\d{{4}})"), "dmy"),
)
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(?:([ap])\.?\s*m\.?)?")

_NUM = r"[+\-−–]?(?:(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+\-−]?\d+)?"
_SCI = re.compile(rf"(?:({_NUM})\s*[×x*·]\s*)?10\s*(?:\^|\*\*)\s*([+\-−]?\d+)")
_FRAC = re.compile(rf"({_NUM})\s*/\s*({_NUM})")
_MIXED = re.compile(r"([+\-−–]?)(\d+) (\d+)/(\d+)")
_APPROX = r"approx(?:imately|\.)?\s|about\s|around\s|roughly\s"
_LEAD = re.compile(rf"^([+\-−–]?)\s*(?:US\$|[$£€¥₹≈~]|usd|eur|gbp|inr|rs\.?|{_APPROX})\s*", re.IGNORECASE)
_SCALE = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_UNIT = re.compile(r"(?:[%°$€£¥₹'’′″]|[a-z]).*", re.DOTALL)
_NOT_UNIT = re.compile(
    r"\b(?:or|not|no|and|more|less|than|least|most|fewer|plus|minus|squared|cubed|half|quarter|dozen"
    r"|factorial|power|root|tenths?|hundredths?|thousandths?|millionths?)\b"
)
_PAIRS = ("()", "[]", "{}", '""', "''", "“”", "‘’")
_VARIABLES = {"x", "y", "z", "n", "i", "e"}
_CLAUSE = re.compile(r"(?:\s*[,;:]|\s+\(|\s*—)\s*(?=[A-Za-z]{2}|\()|\s+(?=(?:because|since|as|which|so)\b)")
_SEP = re.compile(r"\s*(?:[,;]\s*and\b|;|,(?=\s)|,(?!\d{3}(?!\d))|\s+and\b)\s*")
_TIMES = re.compile(r"(?<=[\d)])\s*[×*·x]\s*(?=[\d(])")
_OPS = re.compile(r"\s*([+\-=<>/^×÷()])\s*")


def _group(text: str, i: int) -> tuple[str, int] | None:
    """The braced group opening at ``text[i]`` and the index after it; None when there is none or it is open."""
    if text[i : i + 1] != "{":
        return None
    depth = 0
    for j in range(i, min(len(text), i + 4000)):  # an answer is never longer; keeps broken input linear
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j], j + 1
    return None


def _paren(part: str) -> str:
    return part if re.fullmatch(r"[+\-−]?[\w.]+", part) else f"({part})"


def _unlatex(text: str, depth: int = 0) -> str:
    """LaTeX as plain text: ``\\boxed{x}`` -> x, ``\\frac{a}{b}`` -> a/b (nested too), ``\\times`` -> ×."""
    out, pos = [], 0
    while depth < 20 and (match := _CMD.search(text, pos)) and (first := _group(text, match.end())):
        inner, end = _unlatex(first[0], depth + 1), first[1]
        if match[1].endswith("frac"):
            end += len(text[end:]) - len(text[end:].lstrip())
            if not (second := _group(text, end)):
                break
            inner, end = f"{_paren(inner)}/{_paren(_unlatex(second[0], depth + 1))}", second[1]
        elif match[1] == "sqrt":
            inner = "√" + _paren(inner)
        out.append(text[pos : match.start()] + inner)
        pos = end
    return _TEX.sub(lambda m: _TEX_PLAIN.get(m[1] or m[2], ""), "".join(out) + text[pos:])


def _tidy(text: str) -> str:
    """``text`` without surrounding markdown (``**``, backticks), ``$`` math delimiters and a final period."""
    text = _BOLD.sub(r"\2", text)
    while True:
        before = text
        text = text.strip().strip("*`").strip()
        if len(text) > 1 and text[0] == text[-1] == "$":
            text = text[1:-1]
        text = _PERIOD.sub("", text)
        if text == before:
            return text


def _clean(answer: str) -> str:
    return _tidy(_POWER.sub(r"^\1", re.sub(r"[ \t]+", " ", _unlatex(answer.translate(_SPACES)))))


def extract_answer(text: str) -> str | None:
    """The answer ``text`` states: its last ``Final answer:`` line, else its last ``\\boxed{}``, else None."""
    finals = [answer for match in _FINAL.finditer(text) if (answer := _tidy(match[1]))]
    if finals:
        return finals[-1]
    for match in reversed(list(re.finditer(r"\\boxed\s*(?=\{)", text))[-20:]):
        if (group := _group(text, match.end())) and group[0].strip():
            return group[0].strip()
    return None


def _unwrap(text: str) -> str:
    """``text`` without enclosing quotes or brackets ("[3, 5]", "(B)"); "(a)(b)" and "'a', 'b'" are kept."""
    while len(text) > 1 and text[0] + text[-1] in _PAIRS and not set(text[0] + text[-1]) & set(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _date(low: str) -> str | None:
    for pattern, order in _DATES:
        if match := pattern.fullmatch(low):
            part = dict(zip(order, match.groups(), strict=True))
            month = int(part["m"]) if part["m"].isdigit() else _MONTHS.get(part["m"], 0)
            try:
                return date(int(part["y"]), month, int(part["d"])).isoformat()
            except ValueError:
                return None
    return None


def _time(low: str) -> str | None:
    match = _TIME.fullmatch(low)
    if not match or not (match[2] or match[4]):  # a bare "12" is a number, not noon
        return None
    hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    if match[4]:
        hour = hour % 12 + (12 if match[4] == "p" else 0) if 1 <= hour <= 12 else 99
    if hour > 23 or minute > 59 or second > 59:
        return None
    return f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")


def _fraction(text: str) -> Fraction:
    text = text.translate(_MINUS).replace(",", "").replace(" ", "")
    exponent = re.search(r"[eE]([+-]?\d+)$", text)
    if exponent and abs(int(exponent[1])) > 400:  # no 10**10**9 from "1e1000000000"
        raise ValueError(text)
    return Fraction(text)


def _plain(core: str) -> Fraction | None:
    """The value of a bare number: integer, decimal, scientific, fraction or mixed number; else None."""
    if re.fullmatch(_NUM, core):
        return _fraction(core)
    if (match := _SCI.fullmatch(core)) and abs(int(match[2].translate(_MINUS))) <= 400:
        return (_fraction(match[1]) if match[1] else 1) * Fraction(10) ** int(match[2].translate(_MINUS))
    if match := _FRAC.fullmatch(core):
        return _fraction(match[1]) / _fraction(match[2])
    if (match := _MIXED.fullmatch(core)) and 0 < int(match[3]) < int(match[4]):
        value = int(match[2]) + Fraction(int(match[3]), int(match[4]))
        return value if match[1] in ("", "+") else -value
    return None


def _value(text: str) -> Fraction | None:
    """The one number ``text`` states, with a currency, unit or scale word around it; None if not one."""
    before = None
    while before != text:
        before, text = text, _LEAD.sub(r"\1", text, count=1).strip()
    last = max((i for i, c in enumerate(text) if c in "0123456789"), default=-1)
    try:
        value = _plain(text[: last + 1].strip()) if last >= 0 else None
    except (ValueError, ZeroDivisionError):
        return None
    words = text[last + 1 :].casefold().split()
    if value is None or not words:
        return value
    attached = text[last + 1].isalpha()
    if words[0] in _SCALE:
        value, words, attached = value * _SCALE[words[0]], words[1:], False
    unit = " ".join(words)
    if unit and (not _UNIT.fullmatch(unit) or _NOT_UNIT.search(unit) or words[0] in _VARIABLES):
        return None
    return None if attached and len(words[0]) == 1 else value  # "2x", "5m": a variable as often as a unit


def _number_key(value: Fraction) -> str:
    """An integer, else an exact decimal when there is one (3/4 -> "0.75"), else the reduced fraction."""
    if value.denominator == 1:
        return str(value.numerator)
    places = value.denominator.bit_length()  # enough: 2**a * 5**b divides 10**places when a, b <= places
    if 10**places % value.denominator:
        return f"{value.numerator}/{value.denominator}"
    digits = str(abs(value.numerator) * 10**places // value.denominator).rjust(places + 1, "0")
    return ("-" if value < 0 else "") + f"{digits[:-places]}.{digits[-places:]}".rstrip("0")


def _text_key(text: str) -> str:
    key = " ".join(text.casefold().translate(_MINUS).replace("**", "^").split())
    key = _OPS.sub(r"\1", _TIMES.sub("×", key))
    key = _unwrap(re.sub(r"[.?;:,]+$|(?<![\d)!])!+$", "", key))  # "5!" is not 5
    return re.sub(r"^(?:a|an|the)\s+", "", key)


def _parse(answer: str) -> tuple[str, Fraction | None]:
    """The key of ``answer`` and, when it states one number, its value."""
    text = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "^" + m[0].translate(_SUPERSCRIPT), _clean(answer))
    while (text := _unwrap(text)) and (match := _PREFIX.match(text)):  # "Final answer: The answer is 42"
        text = text[match.end() :]
    if match := _ASSIGN.fullmatch(text):
        text = _unwrap(match[1])
    if not text:
        return "", None
    low = " ".join(text.casefold().split())
    if match := _YESNO.fullmatch(low):
        return ("yes" if match[1] in ("yes", "true") else "no"), None
    if key := _date(low) or _time(low):
        return key, None
    value = _value(text)
    if value is None and (clause := _CLAUSE.search(text)):
        value = _value(text[: clause.start()])
    if value is not None:
        try:
            return _number_key(value), value
        except ValueError:  # a value too long to write out (over Python's 4,300-digit limit): as text
            return _text_key(text), None
    items = _SEP.split(text) if re.search("[,;]", text) else [text]
    if len(items) > 1:
        return ", ".join(canonical(item) for item in items), None
    return _text_key(text), None


def reply_answer(text: str) -> tuple[str, bool]:
    """The answer a reply gives and whether it stated it: its ``Final answer:`` line (or ``\\boxed{}``),
    else its last non-empty line (unstated: a model that forgot the format still answered), else ""."""
    stated = extract_answer(text)
    if stated is not None:
        return stated, True
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else ""), False


def canonical(answer: str) -> str:
    """A comparison key: equal keys mean the same answer (the rules are in the module docstring)."""
    return _parse(answer)[0]


def same_answer(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are the same value: equal keys, or numbers (not both integers) within 1e-6.

    An empty answer is never the same as anything, another empty one included: it is no answer.
    """
    (key_a, value_a), (key_b, value_b) = _parse(a), _parse(b)
    if not key_a or not key_b:
        return False
    if key_a == key_b:
        return True
    if value_a is None or value_b is None or value_a.denominator == value_b.denominator == 1:
        return False
    return abs(value_a - value_b) <= _REL_TOL * max(abs(value_a), abs(value_b))


def display(answer: str) -> str:
    """The answer as shown to a person: ``\\boxed{}`` unwrapped, ``\\frac{a}{b}`` as a/b, markdown and a
    final period gone, units and wording kept ("51.85 dollars"). Never empty for a non-empty input."""
    return _clean(answer) or answer.strip() or answer


def value_of(answer: str) -> Fraction | None:
    """The number ``answer`` states (with its currency, unit or scale word read), or None if not one."""
    return _parse(answer)[1]
