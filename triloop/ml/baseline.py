"""The fixed-script baseline an ML run is compared with: default gradient boosting on all columns.

Text columns become integer codes (a blank or unseen value is -1); numbers pass through with their
blanks, which gradient boosting handles itself. It is what a careful user gets in a few lines, so
the search must beat it, on the same folds, by more than the folds' noise.
"""

from __future__ import annotations

from triloop.ml.task import MLTask

_SCRIPT = """from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import {model}
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder


def build_model():
    # text columns -> integer codes (blank or unseen -> -1); number columns pass through, blanks too
    codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
    encode = make_column_transformer(
        (codes, make_column_selector(dtype_include=object)), remainder="passthrough"
    )
    return make_pipeline(encode, {model}(random_state={seed}))
"""


def model_class(task: MLTask, family: str) -> str:
    """``HistGradientBoosting`` -> ``HistGradientBoostingClassifier`` (or ``...Regressor``)."""
    return family + ("Regressor" if task.problem == "regression" else "Classifier")


def baseline_script(task: MLTask) -> str:
    """A default ``HistGradientBoosting`` model, seeded by the task."""
    return _SCRIPT.format(model=model_class(task, "HistGradientBoosting"), seed=task.seed)
