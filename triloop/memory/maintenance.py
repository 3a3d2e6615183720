"""Reading a whole collection page by page, and forgetting its least useful records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from triloop.memory.results import AnyRecord

PAGE = 500
Parse = Callable[[str, str | None], AnyRecord]  # (record id, document) -> record


def iter_collection(collection: Any, parse: Parse) -> Iterator[AnyRecord]:
    """Every record of ``collection``, page by page."""
    offset = 0
    while True:
        got = collection.get(include=["documents"], limit=PAGE, offset=offset)
        for record_id, document in zip(got["ids"], got["documents"], strict=True):
            yield parse(record_id, document)
        if len(got["ids"]) < PAGE:
            return
        offset += PAGE


def prune_collection(collection: Any, parse: Parse, bound: int) -> int:
    """Trim ``collection`` to ``bound`` records, dropping the least useful (then oldest); how many went."""
    if collection.count() <= bound:
        return 0
    records = sorted(iter_collection(collection, parse), key=lambda r: (r.usefulness, r.updated_at))
    doomed = [r.id for r in records[: len(records) - bound]]
    for start in range(0, len(doomed), PAGE):
        collection.delete(ids=doomed[start : start + PAGE])
    return len(doomed)
