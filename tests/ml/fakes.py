"""A scripted FAKE LLM for the ML loop's decision tests (never a stand-in for the real model), and
experiment scripts the tests share."""

from __future__ import annotations

from types import SimpleNamespace


class FakeScriptLLM:
    """A FAKE LLM: replies in order, one per call (the review's JSON, then scripts)."""

    def __init__(self, replies: list[str]) -> None:
        self.replies, self.prompts = list(replies), []

    def complete(self, messages, **_):
        self.prompts.append(messages[-1]["content"])
        return SimpleNamespace(text=self.replies.pop(0), prompt_tokens=10, completion_tokens=5)


def variant(script: str) -> str:
    """Another program that behaves like ``script`` (an unchanged script would be asked for again)."""
    return script + '\nprint("a variant")\n'


def fenced(code: str) -> str:
    return f"Here it is:\n```python\n{code}```\n"


# A linear model on one-hot codes: on attrition it beats default gradient boosting on every fold.
LINEAR = """from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_model():
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include=object)),
        (StandardScaler(), make_column_selector(dtype_exclude=object)),
    )
    return make_pipeline(encode, LogisticRegression(max_iter=2000))
"""
