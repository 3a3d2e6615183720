"""The prompts of an ML run: the Reviewer's next idea, the Refiner's improvement and debug fix.

Kept short: prompt length is cost on a small local model (prefill dominates).
"""

REVIEW = """{task}{lessons}
Ideas tried so far (metric: {metric}, {direction}; cross-validated mean +- spread over the folds, and
the change against the experiment it changed):
{table}

The best script (experiment {best_id}):
```python
{code}```
{output}
A train score far better than the cross-validated score means overfitting (regularise, simplify); a
change "within noise" did not help. Fast experiments leave room for bigger models or searches
({minutes_left:.0f} of {minutes:g} minutes left, at most {timeout:g} s per experiment).
Name ONE concrete change to the best script that should improve {metric} (a different model, its
hyperparameters, class weights, encoding, scaling, feature engineering in the pipeline, ...), not one
tried already. Reply with JSON only:
{{"idea": "<the change, one sentence>", "why": "<why it should help, one sentence>"{lesson_field}}}"""

IMPROVE = """{task}
A working script (cross-validated {metric}: {score}):
```python
{code}```

Change it: {idea}
Keep build_model() returning one unfitted model that takes the DataFrame X as it is (do the encoding
and any feature engineering inside the pipeline). Reply with the complete new script in one ```python
code block."""

DEBUG = """{task}
This script failed:
```python
{code}```

The error:
{error}
{hint}
Fix it. Keep build_model() returning one unfitted scikit-learn model that takes the DataFrame X as it
is; read no files. Reply with the complete fixed script in one ```python code block."""


UNCHANGED = """
(A first reply returned the script unchanged: this time change the code, not only the comments.)"""

REPEATED = """
(A first reply repeated an idea tried already: "{idea}". Name a different change.)"""

RAN_BEFORE = """
(A first reply wrote the same program as experiment {id}, which has run already: write a different
change.)"""
