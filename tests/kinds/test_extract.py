"""The code extractor on the broken shapes small models produce (issue #9)."""

from __future__ import annotations

import ast

import pytest

from triloop.kinds.coding.extract import extract_code, stub_entry_point

PROMPT = '''from typing import List


def is_palindrome(s: str) -> bool:
    return s == s[::-1]


def make_palindrome(string: str) -> str:
    """ Make the shortest palindrome that begins with a supplied string.
    >>> make_palindrome('cat')
    'catac'
    """
'''

GOOD = """def make_palindrome(string: str) -> str:
    for i in range(len(string)):
        if is_palindrome(string[i:]):
            return string + string[:i][::-1]
    return string
"""


def run(code: str, call: str):
    namespace: dict = {}
    exec(compile(code, "solution.py", "exec"), namespace)
    return eval(call, namespace)


def test_plain_fenced_function_gets_prompt_imports_and_helpers():
    found = extract_code(f"Here you go:\n```python\n{GOOD}```\nIt works.", "make_palindrome", PROMPT)
    assert found.defect is None
    assert "from typing import List" in found.code
    assert "def is_palindrome" in found.code  # the task's helper the code calls
    assert run(found.code, "make_palindrome('cat')") == "catac"


def test_json_escaped_code_is_unescaped():
    escaped = GOOD.replace("\n", "\\n").replace("'", "\\'")
    found = extract_code(f"```python\n{escaped}\n```", "make_palindrome", PROMPT)
    assert found.code is not None and "JSON-escaped code" in found.repairs
    assert run(found.code, "make_palindrome('ab')") == "aba"


def test_usage_block_after_the_function_is_dropped_and_cannot_replace_it():
    reply = (
        f"```python\n{GOOD}\nprint(make_palindrome('cat'))\nassert make_palindrome('') == ''\n```\n"
        "Usage:\n```python\ndef make_palindrome(string):\n    pass\n\nprint(make_palindrome('x'))\n```"
    )
    found = extract_code(reply, "make_palindrome", PROMPT)
    tree = ast.parse(found.code)
    assert all(isinstance(n, ast.ImportFrom | ast.FunctionDef) for n in tree.body)  # no top-level calls
    assert run(found.code, "make_palindrome('cat')") == "catac"


def test_main_guard_and_input_are_dropped():
    reply = (
        f"```python\n{GOOD}\nif __name__ == '__main__':\n    s = input()\n    print(make_palindrome(s))\n```"
    )
    found = extract_code(reply, "make_palindrome", PROMPT)
    assert "__main__" not in found.code and "input(" not in found.code


def test_unterminated_fence_is_read_when_complete():
    found = extract_code(f"```python\n{GOOD}", "make_palindrome", PROMPT)
    assert found.defect is None and run(found.code, "make_palindrome('ab')") == "aba"


def test_a_reply_cut_by_max_tokens_is_flagged_not_accepted():
    found = extract_code(
        "```python\ndef make_palindrome(s):\n    return s + (", "make_palindrome", PROMPT, truncated=True
    )
    assert found.code is None and "cut off" in found.defect


def test_stub_only_is_rejected_with_the_defect_named():
    reply = '```python\ndef make_palindrome(string: str) -> str:\n    """Make a palindrome."""\n```'
    found = extract_code(reply, "make_palindrome", PROMPT)
    assert found.code is None and "no body" in found.defect


def test_code_inside_json_is_taken_out():
    reply = '```json\n{"code": "import re\\ndef make_palindrome(s):\\n    return s + s[::-1][1:]"}\n```'
    found = extract_code(reply, "make_palindrome", PROMPT)
    assert "code inside JSON" in found.repairs
    assert run(found.code, "make_palindrome('ab')") == "aba"


def test_body_only_reply_is_completed_from_the_stub():
    found = extract_code("```python\n    return string + string[::-1][1:]\n```", "make_palindrome", PROMPT)
    assert found.code is not None and run(found.code, "make_palindrome('ab')") == "aba"


@pytest.mark.parametrize(
    ("reply", "defect"),
    [
        ("I would reverse the string.", "no ```python code block"),
        ("```python\ndef other(x):\n    return x\n```", "does not define `make_palindrome`"),
        ("```python\ndef make_palindrome(s) return s\n```", "does not parse"),
    ],
)
def test_unusable_replies_name_their_defect(reply, defect):
    found = extract_code(reply, "make_palindrome", PROMPT)
    assert found.code is None and defect in found.defect


def test_missing_import_from_another_block_is_added():
    reply = "```python\nfrom collections import deque\n```\n```python\ndef f(xs):\n    return list(deque(xs))\n```"
    found = extract_code(reply, "f")
    assert "from collections import deque" in found.code and run(found.code, "f([1, 2])") == [1, 2]


def test_stub_entry_point_is_the_last_stub():
    assert stub_entry_point(PROMPT) == "make_palindrome"
    assert stub_entry_point("Write a poem about the sea.") is None
