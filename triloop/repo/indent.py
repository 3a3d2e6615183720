"""Indentation arithmetic shared by edits and docstrings: a model's text is often at another depth
than the file's, and lines are moved by the difference."""

from __future__ import annotations


def indent_of(text: str) -> int:
    """The indentation (in characters) of the first non-blank line of ``text``."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return len(first) - len(first.lstrip())


def shift(lines: list[str], by: int) -> list[str]:
    """``lines`` moved ``by`` columns right (left when negative); blank lines stay as they are, and a
    line is moved left only over blank space."""
    if by >= 0:
        return [" " * by + line if line.strip() else line for line in lines]
    return [line[-by:] if line[:-by].strip() == "" else line for line in lines]
