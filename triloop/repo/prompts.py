"""Prompts of the repository loop, kept as data. Short on purpose: on the embedded model every prompt
token is prefill time, and the per-slot context (4,096 tokens) holds prompt and reply together."""

from __future__ import annotations

BLOCK_FORMAT = (
    "Reply in this form: one sentence on what is wrong in this project, then each function you change, "
    "complete and fixed, in a ```python block under its file's `### path` line; only the functions you "
    "change. The form, shown for an unrelated project:\n"
    "parse_port returns the text, not a number.\n### net/config.py\n```python\ndef parse_port(text):\n"
    "    return int(text.strip())\n```\n"
    "A long function may get a SEARCH/REPLACE block instead: the path, then `<<<<<<< SEARCH`, its lines "
    "copied exactly, `=======`, the new lines, `>>>>>>> REPLACE`."
)

PATCH = (
    "You fix a bug in a Python project.\nFiles: {outline}\n\nTask: {spec}\n\n{evidence}{attempt}"
    "The code the task points to{now}:\n\n{code}\n\nChange the code, not the tests. " + BLOCK_FORMAT
)

CODE_PLEASE = (
    "Now the fix itself: each function you change, complete and fixed, in a ```python block under its "
    "file's `### path` line."
)

SAME_CODE = (
    "That code is the same as the current code, so it changes nothing. Read the failing values again and "
    "send the function with the change that fixes them, in the same form."
)

PLAIN = "You fix a bug in a Python project.\n\nTask: {spec}\n\n{evidence}{code}\n\n" + BLOCK_FORMAT

FAILING = "The failing tests and their output:\n{failure}\n\n"

PASSING = "The same tests pass for these cases: {cases}.\n\n"

ATTEMPT = (
    "An earlier attempt changed:\n```diff\n{diff}\n```\nAfter it the tests still fail:\n{failure}\n\n"
    "A review of that attempt: {review}\n\n"
)

REVIEW = (
    "Task: {spec}\n\nA fix was tried:\n```diff\n{diff}\n```\n\nThe tests still fail (locals shown):\n"
    "{failure}\n\nWhat is wrong, and how should the code change instead? At most 3 sentences, no code."
)

REPAIR = (
    "This SEARCH text is not in {path}:\n```\n{search}\n```\nThe file's lines there are:\n```python\n"
    "{region}\n```\nSend the block again with the SEARCH part copied exactly from these lines.\n"
    + BLOCK_FORMAT
)

REPRODUCE = (
    "A user reports a bug in a Python project (package `{package}`).\nFiles: {outline}\n\nReport: {spec}\n\n"
    "The code it is about:\n\n{code}\n\nWrite a short pytest test that fails on the current code and "
    "passes once the bug is fixed: import from `{package}`, make the call the report makes, and assert "
    "the result the report says is RIGHT (never the wrong result it gets now). One test function, at "
    "most 3 asserts. The form, shown for an unrelated project:\n```python\nfrom netconf.config import "
    "parse_port\n\n\ndef test_reported_bug():\n    assert parse_port(' 80 ') == 80\n```\n"
    "Reply with one ```python block, nothing else."
)

REPRODUCE_PASSED = (
    "That test passes on the current (buggy) code, so it asserts what the code does now. Assert what the "
    "report says is right instead, in the same form."
)

REPRODUCE_BROKEN = (
    "That test does not run; pytest says:\n```\n{error}\n```\nSend it again, fixed, in the same form."
)
