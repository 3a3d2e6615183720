"""Reading a coding task: entry point, examples as checks, the Tester's asserts."""

from __future__ import annotations

from triloop.kinds.coding.spec import doctest_checks, generated_checks, task_entry_point

STUB = '''def add(a: int, b: int) -> int:
    """Add two numbers.
    >>> add(1, 2)
    3
    >>> add(-1,
    ... 1)
    0
    >>> add(2, 2)
    4
    For example: add(5, 5) == 10 and add(0, 7) ➞ 7.
    add([1], [2]) => [1, 2]
    """
'''


def test_doctest_and_arrow_examples_become_checks():
    checks = {c.call: c.expected for c in doctest_checks(STUB, "add")}
    assert checks["add(1, 2)"] == "3"
    assert checks["add(2, 2)"] == "4"
    assert checks["add(-1, 1)"] == "0"  # a call continued on a "..." line
    assert checks["add(5, 5)"] == "10"
    assert checks["add(0, 7)"] == "7"
    assert checks["add([1], [2])"] == "[1, 2]"
    assert all(c.source == "doctest" for c in doctest_checks(STUB, "add"))


def test_examples_of_other_functions_are_not_checks():
    assert doctest_checks(">>> helper(1)\n2\n", "add") == []


def test_generated_asserts_of_all_shapes():
    reply = (
        "```python\nassert add(1, 1) == 2\nassert is_ok(add(1, 1))\nassert not add(0, 0)\n"
        "assert add(2, 2) == add(1, 3)\nprint('x')\nassert add(1, 1) == 3\n```"
    )
    checks = generated_checks(reply, "add")
    assert [(c.call, c.expected) for c in checks] == [
        ("add(1, 1)", "2"),
        ("is_ok(add(1, 1))", "True"),
        ("add(0, 0)", "False"),
    ]  # an expected value that calls the function itself is no test; a repeated call counts once


def test_entry_point_from_signature_or_stub():
    assert task_entry_point("reverse words", "def rev(s: str) -> str") == "rev"
    assert task_entry_point(STUB) == "add"
    assert task_entry_point("What is 2 + 2?") is None


def test_entry_point_from_a_request_that_names_the_function():
    assert task_entry_point("Write a Python function `double(x)` that returns 2 * x.") == "double"
    assert task_entry_point("a function `is_even(n: int) -> bool` that says whether n is even") == "is_even"
    chat = "Conversation so far:\nUser: write a function `f(x)`\n\nCurrent request:\nnow a function `g(y)`"
    assert task_entry_point(chat) == "g"  # the current request, not an earlier turn's
    assert task_entry_point("explain what the `print` function does") is None  # no parameters: no request


def test_input_output_examples_and_json_words():
    task = '''def pick(arr, k):
    """Pick things.
    Example 1:
        Input: arr = [-3, -4, 5], k = 3
        Output: [-4, -3, 5]
    Example 2: Input: arr = [1], k = 1 Output: [1]  # just one
    pick([2], 1) -> true
    """
'''
    checks = {c.call: c.expected for c in doctest_checks(task, "pick")}
    assert checks == {
        "pick(arr = [-3, -4, 5], k = 3)": "[-4, -3, 5]",
        "pick(arr = [1], k = 1)": "[1]",
        "pick([2], 1)": "True",
    }


def test_examples_with_free_names_or_recurrences_are_not_checks():
    task = '''def fib(n):
    """fib(n) -> fib(n-1) + fib(n-2)
    fib(3) == fib(2) + fib(1)
    fib(x) == 1
    fib(1) == 1
    """
'''
    assert [(c.call, c.expected) for c in doctest_checks(task, "fib")] == [("fib(1)", "1")]
