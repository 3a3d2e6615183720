"""Export and import the memory as JSONL: one record a line, its JSON plus ``kind`` naming its collection.

Import is all-or-nothing: every line is validated first (JSON, kind, schema version, record fields,
size), and if any line is bad the file is rejected with the bad line numbers and the store is untouched.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from triloop.memory.errors import ImportValidationError, MemoryStoreError
from triloop.memory.records import KINDS, RECORD_TYPES, SCHEMA_VERSION, MemoryRecord
from triloop.memory.store import MemoryStore


class TransferReport(BaseModel):
    path: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def export_jsonl(store: MemoryStore, path: Path) -> TransferReport:
    """Write every record of every collection to ``path`` (written to a temp file, then renamed)."""
    counts = dict.fromkeys(KINDS, 0)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for kind in KINDS:
                for record in store.iter_records(kind):
                    line = {"kind": kind, **json.loads(record.model_dump_json())}
                    fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                    counts[kind] += 1
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise MemoryStoreError(f"cannot write export {path}: {exc}") from exc
    return TransferReport(path=str(path), counts=counts)


def _parse_line(text: str, max_chars: int) -> MemoryRecord:
    """One line -> record, or ValueError with a short reason."""
    if len(text) > max_chars + 64:
        raise ValueError(f"record is {len(text)} chars, limit {max_chars}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    kind = data.pop("kind", None)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"schema version {version!r}, this triloop reads {SCHEMA_VERSION}")
    try:
        return RECORD_TYPES[kind].model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or kind
        raise ValueError(f"{kind} record invalid at {where}: {err['msg']}") from None


def import_jsonl(store: MemoryStore, path: Path) -> TransferReport:
    """Validate every line of ``path``, then upsert all records (ids kept). Blank lines are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise MemoryStoreError(f"cannot read import file {path}: {exc}") from exc
    records: list[MemoryRecord] = []
    problems: list[tuple[int, str]] = []
    first_seen: dict[tuple[str, str], int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = _parse_line(text, store.settings.max_record_chars)
        except ValueError as exc:
            problems.append((number, str(exc)))
            continue
        key = (record.kind, record.id)
        if key in first_seen:
            problems.append(
                (number, f"duplicate {record.kind} id {record.id!r} (first on line {first_seen[key]})")
            )
            continue
        first_seen[key] = number
        records.append(record)
    if problems:
        raise ImportValidationError(str(path), problems)
    counts = dict.fromkeys(KINDS, 0)
    for record in records:
        counts[record.kind] += 1
    store.put(records)
    return TransferReport(path=str(path), counts=counts)
