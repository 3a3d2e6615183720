"""Fixtures of the graph tests. The scripted FakeLLM lives in fake_llm.py (a fake, for logic tests only)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
