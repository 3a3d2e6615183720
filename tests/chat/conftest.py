"""Chat and server tests: the scripted FAKE LLM of tests/graphs for graph logic; the real model for e2e."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graphs"))
