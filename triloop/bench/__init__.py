"""``triloop bench``: the project's yardstick, for coding and for questions whose answer is a value.

Runs strategies (a plain single completion as the anchor, and the solve graph's strategies) on
HumanEval-format problems or on questions (reasoning-gym's generators, or a file of question/answer
rows), scores only the final code (against hidden tests in the sandbox) or the final answer (by the
question's scorer), and reports pass@1 with its uncertainty against the tokens it cost. Modules:
``problems`` (loading), ``questions`` (questions and their scorers), ``strategies`` (what is compared),
``scoring`` (code and answers), ``harness`` (running, resumable), ``report`` (summary, tables, plot),
``cli`` (the typer commands).
"""

#: Seconds one (problem, strategy) pair may take before it is recorded as an error (``--pair-timeout``);
#: here, not in the harness, so the command line reads it without importing the harness.
PAIR_TIMEOUT_S = 1200.0
