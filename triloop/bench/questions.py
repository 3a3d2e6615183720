"""Bench questions: problems whose answer is a value (a number, a date, a word), not code.

Two sources: reasoning-gym's procedural generators (``triloop bench gym``), scored by each family's own
scorer, and rows ``{"id", "question", "answer"}`` of a tasks file, scored by the general kind's
:func:`~triloop.kinds.general.answers.same_answer`. A question carries its scorer, so the harness
scores every problem the same way (``problem.correct(answer)``) whatever its source.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from itertools import zip_longest
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from triloop.bench.errors import BenchDependencyError, BenchInputError

VALUE_FIELDS = ("id", "question", "answer")
#: Built-in variants of reasoning-gym families: name -> (family, config fields). ``basic_arithmetic``
#: with 4- to 6-digit operands, so its exact answers are big integers that mental arithmetic gets wrong
#: and a tool (the sandbox) gets right: the "tools mix" slice of the question bench.
GYM_VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "basic_arithmetic_large": ("basic_arithmetic", {"min_digits": 4, "max_digits": 6}),
}


#: The "tools mix" slice: families a tool settles (counting, dates, factoring, big exact arithmetic).
TOOLS_MIX = (
    "count_primes",
    "calendar_arithmetic",
    "time_intervals",
    "prime_factorization",
    "lcm",
    "decimal_arithmetic",
    "basic_arithmetic_large",
)


class ValueProblem(BaseModel):
    """One question. ``answer`` is the expected answer as recorded (None where a family accepts several
    answers and its scorer decides); ``scorer`` judges an answer string and is never shown to strategies."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    task_id: str
    question: str
    answer: str | None
    scorer: Callable[[str], bool] = Field(exclude=True, repr=False)

    def correct(self, given: str | None) -> bool:
        """Whether ``given`` is right; no answer is never right."""
        return given is not None and bool(given.strip()) and self.scorer(given)


class SameAnswer:
    """A tasks file's scorer: the general kind's own notion of two answers being the same value."""

    def __init__(self, expected: str) -> None:
        self.expected = expected

    def __call__(self, given: str) -> bool:
        from triloop.kinds.general.answers import same_answer

        return same_answer(given, self.expected)


class GymScorer:
    """A reasoning-gym family's scorer on one entry: right iff it gives 1.0 to the answer string, to the
    answer as :func:`~triloop.kinds.general.answers.display` shows it, or to its value as
    :func:`~triloop.kinds.general.answers.canonical` writes it (family scorers compare strings strictly,
    so ``**42**``, ``78,000`` or ``$51.85`` would lose the point for its writing, not its value; the same
    tries are given to every strategy, so the comparison stays fair)."""

    def __init__(self, dataset: Any, entry: dict[str, Any]) -> None:
        self.dataset = dataset
        self.entry = entry

    def __call__(self, given: str) -> bool:
        from triloop.kinds.general.answers import canonical, display

        forms = [form for form in (given, display(given), canonical(given)) if form]
        return any(self._score(text) >= 1.0 for text in dict.fromkeys(forms))

    def _score(self, text: str) -> float:
        try:
            return float(self.dataset.score_answer(text, self.entry))
        except Exception:  # a family scorer that chokes on a malformed answer: that answer is wrong
            return 0.0


def value_problem_from(value: dict[str, Any], where: str) -> ValueProblem:
    """A question row of a tasks file, validated (``where`` names the file and line in errors)."""
    missing = [name for name in VALUE_FIELDS if name not in value]
    if missing:
        raise BenchInputError(f"{where}: missing field {', '.join(repr(m) for m in missing)}")
    wrong = [
        name for name in ("id", "question") if not isinstance(value[name], str) or not value[name].strip()
    ]
    if wrong:
        raise BenchInputError(
            f"{where}: field {', '.join(repr(w) for w in wrong)} must be a non-empty string"
        )
    answer = value["answer"]
    if isinstance(answer, bool) or not isinstance(answer, str | int | float) or not str(answer).strip():
        raise BenchInputError(f"{where}: field 'answer' must be a non-empty string or a number")
    expected = str(answer)
    return ValueProblem(
        task_id=value["id"], question=value["question"], answer=expected, scorer=SameAnswer(expected)
    )


def gym_names() -> list[str]:
    """Every family reasoning-gym registers, plus the built-in variants, sorted."""
    return sorted([*_registry(), *GYM_VARIANTS])


def _registry() -> dict[str, Any]:
    try:
        import reasoning_gym  # noqa: F401  (registers the families)
        from reasoning_gym.factory import DATASETS
    except ImportError:
        raise BenchDependencyError(
            "question benches need the 'reasoning-gym' package: pip install 'triloop[bench]'"
        ) from None
    return DATASETS


def parse_families(spec: Sequence[str]) -> list[str]:
    """Family names from ``FAMILY[,FAMILY...]`` arguments, validated, in the order given."""
    families = [name.strip() for raw in spec for name in raw.split(",") if name.strip()]
    if not families:
        raise BenchInputError("no reasoning-gym family given, e.g. triloop bench gym lcm,count_primes")
    known = gym_names()
    for name in families:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise BenchInputError(
                f"unknown reasoning-gym family {name!r}; {hint}choose from its {len(known)} families, "
                f"e.g. {', '.join(TOOLS_MIX[3:])}"
            )
    twice = sorted({name for name in families if families.count(name) > 1})
    if twice:
        raise BenchInputError(f"family {', '.join(twice)} given twice")
    return families


def split_evenly(n: int, parts: int) -> list[int]:
    """``n`` split over ``parts`` as evenly as can be, the remainder going to the first ones."""
    base, extra = divmod(n, parts)
    return [base + (i < extra) for i in range(parts)]


def load_gym(families: Sequence[str], n: int, seed: int) -> list[ValueProblem]:
    """``n`` questions in all, split evenly over ``families`` (in their order), ids ``family/i``.

    The same (families, n, seed) gives the same questions: reasoning-gym derives entry ``i`` of a family
    from ``seed + i`` alone, so adding problems (a larger ``n``) keeps the earlier ones.
    """
    families = parse_families(families)
    if n < len(families):
        raise BenchInputError(f"--n {n} is fewer than the {len(families)} families: give each at least one")
    registry = _registry()
    by_family: list[list[ValueProblem]] = []
    for family, count in zip(families, split_evenly(n, len(families)), strict=True):
        problems: list[ValueProblem] = []
        base, config = GYM_VARIANTS.get(family, (family, {}))
        if base not in registry:
            raise BenchDependencyError(f"variant {family} needs reasoning-gym's {base}, which is missing")
        try:
            dataset = _create(base, count, seed, config)
            entries = [dataset[i] for i in range(count)]
        except (AssertionError, TypeError, ValueError) as exc:
            raise BenchInputError(f"reasoning-gym family {family!r} cannot be built: {exc}") from None
        for i, entry in enumerate(entries):
            answer = entry.get("answer")
            problems.append(
                ValueProblem(
                    task_id=f"{family}/{i}",
                    question=str(entry["question"]),
                    answer=None if answer is None else str(answer),
                    scorer=GymScorer(dataset, entry),
                )
            )
        by_family.append(problems)
    # one question of each family in turn: a run stopped early (and resumed later) has met every family
    return [p for row in zip_longest(*by_family) for p in row if p is not None]


def _create(family: str, size: int, seed: int, config: dict[str, Any]) -> Any:
    import reasoning_gym

    return reasoning_gym.create_dataset(family, size=size, seed=seed, **config)
