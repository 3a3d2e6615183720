"""``triloop bench``: the project's yardstick for coding.

Runs strategies (a plain single completion as the anchor, and the solve graph's strategies) on
HumanEval-format problems, scores only the final code against hidden tests in the sandbox, and reports
pass@1 with its uncertainty against the tokens it cost. Modules: ``problems`` (loading), ``strategies``
(what is compared), ``harness`` (running and scoring, resumable), ``report`` (summary, table, plot),
``cli`` (the typer commands).
"""
