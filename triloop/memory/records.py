"""The typed records of the three memory collections.

Each record knows the text it is embedded by, the flat metadata Chroma filters on, how to render itself
compactly for an LLM, and how to absorb a near-duplicate (counters go up instead of a second copy).
The full record is stored as JSON in the Chroma document, so a record round-trips exactly and import /
export are just ``model_dump_json`` / ``model_validate_json``.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal
from uuid import uuid4

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from triloop.kinds.names import LEGACY_KINDS, canonical_kind
from triloop.kinds.names import TASK_KINDS as TASK_KINDS  # re-exported for the memory package
from triloop.kinds.names import TaskKind as TaskKind
from triloop.tools.base import ToolSpec

#: Bump when a record's fields change incompatibly; collections and export lines carry it.
SCHEMA_VERSION = 1

Kind = Literal["tool_docs", "experiences", "toolset"]
KINDS: tuple[Kind, ...] = ("tool_docs", "experiences", "toolset")
#: Task kinds: the one vocabulary of triloop/kinds/names.py. Older records said "qa" or "chat" for
#: "general": they are read as "general" (and stay in the collections they were written to).
LEGACY_TASK_KINDS = tuple(LEGACY_KINDS)
Outcome = Literal["solved", "failed", "partial"]
MAX_TAGS = 32  # merges union tags; bounded so a much-merged record stays under the size limit


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryRecord(BaseModel):
    """Fields every record has: identity, schema version, timestamps, version and usefulness counters."""

    model_config = ConfigDict(extra="forbid")
    kind: ClassVar[Kind]

    id: str = Field(default_factory=lambda: uuid4().hex, min_length=1, max_length=200)
    schema_version: int = SCHEMA_VERSION
    version: int = Field(1, ge=1, description="bumped by every in-place update")
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)
    retrieved: int = Field(0, ge=0, description="times returned by a search")
    helped: int = Field(0, ge=0, description="times a caller reported it helped")
    merged: int = Field(0, ge=0, description="near-duplicates folded into this record")

    def embedding_text(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def filter_metadata(self) -> dict[str, str | int | float | bool]:
        """Flat metadata for Chroma ``where`` filters (the record itself lives in the document)."""
        return {
            "schema_version": self.schema_version,
            "version": self.version,
            "retrieved": self.retrieved,
            "helped": self.helped,
            "updated_ts": self.updated_at.timestamp(),
        }

    def render(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def can_absorb(self, other: MemoryRecord) -> bool:
        """Whether a near-duplicate by text may be folded into this record."""
        return True

    def absorb(self, other: MemoryRecord) -> None:
        """Fold a near-duplicate into this record: counters add up, nothing is stored twice."""
        self.merged += 1 + other.merged
        self.retrieved += other.retrieved
        self.helped += other.helped
        self.updated_at = _now()

    @property
    def usefulness(self) -> float:
        """What prune keeps: records that helped, then ones often merged into (seen often), then recent."""
        return self.helped * 3.0 + self.merged + self.retrieved * 0.1


class ToolTrace(BaseModel):
    """One recorded tool call: what was passed, whether it worked, and what came back (trimmed)."""

    model_config = ConfigDict(extra="forbid")
    ok: bool
    args: dict[str, Any] = Field(default_factory=dict)
    output: str = Field("", max_length=2000)
    note: str = Field("", max_length=1000, description="why it failed / how it was misused")
    at: datetime = Field(default_factory=_now)


class DocVersion(BaseModel):
    """A previous version of a tool doc, kept when refine_doc rewrites it."""

    model_config = ConfigDict(extra="forbid")
    version: int
    spec: ToolSpec
    reason: str = ""
    at: datetime = Field(default_factory=_now)
    calls: int = Field(0, ge=0, description="traced calls made while this version was current")
    failure_rate: float | None = Field(None, ge=0.0, le=1.0, description="failed share of those calls")


class ToolDocRecord(MemoryRecord):
    """A tool's documentation plus what was learned about using it. Keyed by tool name."""

    kind: ClassVar[Kind] = "tool_docs"
    spec: ToolSpec
    calls: int = Field(0, ge=0)
    failures: int = Field(0, ge=0)
    last_rewrite_reason: str = ""
    traces: list[ToolTrace] = Field(default_factory=list)
    history: list[DocVersion] = Field(default_factory=list)
    rewrites: int = Field(0, ge=0)
    stable: bool = Field(False, description="refine_doc stopped: rewrites no longer changed the doc")

    @classmethod
    def from_spec(cls, spec: ToolSpec) -> ToolDocRecord:
        return cls(id=f"tool:{spec.name}", spec=spec)

    @property
    def name(self) -> str:
        return self.spec.name

    def embedding_text(self) -> str:
        return f"{self.spec.name}: {self.spec.purpose}\n{self.spec.signature}\n" + " ".join(
            self.spec.pitfalls
        )

    def filter_metadata(self) -> dict[str, str | int | float | bool]:
        meta = super().filter_metadata()
        meta.update(name=self.spec.name, calls=self.calls, failures=self.failures, stable=self.stable)
        return meta

    def render(self) -> str:
        stats = f"  [v{self.version}; {self.calls} calls, {self.failures} failed]"
        return self.spec.render() + "\n" + stats

    def absorb(self, other: MemoryRecord) -> None:
        super().absorb(other)
        if isinstance(other, ToolDocRecord):
            self.calls += other.calls
            self.failures += other.failures


class ExperienceRecord(MemoryRecord):
    """What was tried on a task, how it ended, and the lesson. Stored in one collection per task kind."""

    kind: ClassVar[Kind] = "experiences"
    task: str = Field(min_length=1)
    task_kind: Annotated[TaskKind, BeforeValidator(lambda v: canonical_kind(v) if isinstance(v, str) else v)]
    outcome: Outcome
    answer_summary: str = ""
    failures: list[str] = Field(default_factory=list, description="what failed and why")
    lesson: str = Field("", description="one or two sentences")
    scores: dict[str, float] = Field(default_factory=dict)
    tokens: int = Field(0, ge=0)
    tags: list[str] = Field(default_factory=list)
    occurrences: int = Field(1, ge=1)
    profile: dict[str, float | str] = Field(
        default_factory=dict, description="the shape of the task's data (ML: rows, text columns, ...)"
    )

    def embedding_text(self) -> str:
        return f"{self.task}\nLesson: {self.lesson}"

    def filter_metadata(self) -> dict[str, str | int | float | bool]:
        meta = super().filter_metadata()
        meta.update(task_kind=self.task_kind, outcome=self.outcome, tokens=self.tokens)
        for name, value in self.scores.items():
            meta[f"score_{name}"] = float(value)
        return meta

    def render(self) -> str:
        lines = [f"[{self.task_kind}/{self.outcome}] {self.task[:300]}"]
        if self.lesson:
            lines.append(f"  lesson: {self.lesson}")
        if self.answer_summary:
            lines.append(f"  answer: {self.answer_summary[:300]}")
        lines += [f"  failed: {f[:200]}" for f in self.failures[:3]]
        return "\n".join(lines)

    def can_absorb(self, other: MemoryRecord) -> bool:
        """Lessons of two different ML tasks stay two records, however alike their wording: each is
        recalled by its own data profile."""
        theirs = other.profile.get("name") if isinstance(other, ExperienceRecord) else None
        return not (self.profile.get("name") and theirs and theirs != self.profile.get("name"))

    def absorb(self, other: MemoryRecord) -> None:
        super().absorb(other)
        if isinstance(other, ExperienceRecord):
            self.occurrences += other.occurrences
            self.tokens += other.tokens
            self.tags = sorted(set(self.tags) | set(other.tags))[:MAX_TAGS]
            self.failures = (self.failures + [f for f in other.failures if f not in self.failures])[-10:]
            # A newer outcome that solved the task carries the better answer and lesson.
            if other.outcome == "solved" and self.outcome != "solved":
                self.outcome, self.answer_summary = other.outcome, other.answer_summary
                self.lesson = other.lesson or self.lesson
                self.scores = other.scores or self.scores


class ToolsetRecord(MemoryRecord):
    """A reusable Python function abstracted from a verified solution (CRAFT / LATM)."""

    kind: ClassVar[Kind] = "toolset"
    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    code: str = Field(min_length=1)
    doc: str = Field(min_length=1)
    tests: list[str] = Field(default_factory=list, description="the tests that verified it")
    provenance: str = Field("", description="the task / run it was abstracted from")
    uses: int = Field(0, ge=0)

    def embedding_text(self) -> str:
        return f"{self.name}: {self.doc}"

    def filter_metadata(self) -> dict[str, str | int | float | bool]:
        meta = super().filter_metadata()
        meta.update(name=self.name, uses=self.uses)
        return meta

    def render(self) -> str:
        return f"{self.name}: {self.doc}\n{self.code}"

    def absorb(self, other: MemoryRecord) -> None:
        super().absorb(other)
        if isinstance(other, ToolsetRecord):
            self.uses += other.uses
            self.tests = self.tests + [t for t in other.tests if t not in self.tests]


RECORD_TYPES: dict[Kind, type[MemoryRecord]] = {
    "tool_docs": ToolDocRecord,
    "experiences": ExperienceRecord,
    "toolset": ToolsetRecord,
}


def parse_record(kind: Kind, record_id: str, document: str | None) -> MemoryRecord:
    """A stored document back to its record; a clear error for corrupt or other-version documents."""
    from triloop.memory.errors import MemoryStoreError, SchemaVersionError

    try:
        return RECORD_TYPES[kind].model_validate_json(document or "")
    except ValidationError as exc:
        version = None
        with contextlib.suppress(ValueError, AttributeError):
            version = json.loads(document or "{}").get("schema_version")
        if version is not None and version != SCHEMA_VERSION:
            raise SchemaVersionError(f"{kind} record {record_id} has schema version {version}") from exc
        raise MemoryStoreError(f"{kind} record {record_id} is corrupt: {exc.errors()[0]['msg']}") from exc
