"""The prompts of an ML run: the Reviewer's next idea, the Refiner's improvement and debug fix.

Kept short: prompt length is cost on a small local model (prefill dominates).
"""

REVIEW = """{task}{lessons}
Ideas tried so far (metric: {metric}, {direction}):
{table}

The best script (experiment {best_id}):
```python
{code}```
{output}
A train score far better than the validation score means overfitting (regularise, simplify); fast
experiments leave room for bigger models or searches ({minutes_left:.0f} of {minutes:g} minutes left, at
most {timeout:g} s per experiment).
Name ONE concrete change to the best script that should improve {metric} (a different model, its
hyperparameters, feature scaling or engineering, ...), not one tried already. Reply with JSON only:
{{"idea": "<the change, one sentence>", "why": "<why it should help, one sentence>"{lesson_field}}}"""

IMPROVE = """{task}
A working script (validation {metric}: {score}):
```python
{code}```

Change it: {idea}
Keep the data reading and the prediction files exactly as they are. Reply with the complete new script
in one ```python code block."""

DEBUG = """{task}
This script failed:
```python
{code}```

The error:
{error}
{hint}
Fix it. Keep reading `data/*.csv` and writing `predictions/valid.csv` and `predictions/test.csv` (one
column `prediction`). Reply with the complete fixed script in one ```python code block."""


UNCHANGED = """
(A first reply returned the script unchanged: this time change the code, not only the comments.)"""

REPEATED = """
(A first reply repeated an idea tried already: "{idea}". Name a different change.)"""
