"""Appending to a JSONL results file that a killed run may have left with a cut-off last line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def appending(path: Path) -> Iterator[TextIO]:
    """``path`` opened for appending; a last line cut off by a kill is ended first, so the next record
    starts on its own line instead of being glued to the fragment (and lost with it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cut_off = path.is_file() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    with path.open("a", encoding="utf-8") as fh:
        if cut_off:
            fh.write("\n")
        yield fh
