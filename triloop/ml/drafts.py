"""Drafts: other model families tried beside the baseline before the search refines the best (AIDE's
drafting stage, with the scripts of an AutoML portfolio).

Left to itself the 1.5B model tunes the baseline's gradient boosting: in the six cross-validated runs
of session 16 (128 experiments, ``docs/ml.md``) no idea named a linear model or class weights, the
changes that gain most on tables of a few thousand rows with many text columns or a rare class. Asked
for a linear model on one-hot codes in words, it stacked imputers and encoders in an order that cannot
run, twice. AutoML systems (auto-sklearn, AutoGluon, FLAML) start from a fixed portfolio of model
families for the same reason, and AIDE drafts several different solutions before it improves one. So
the first experiments after the baseline are this portfolio's scripts, chosen by the data's shape
(no model call: they are known to run); the harness scores them like any other, and the Reviewer and
Refiner go on from whichever is best.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from triloop.ml.baseline import baseline_script, model_class
from triloop.ml.profile import DataProfile
from triloop.ml.task import MLTask

#: The why of a drafted experiment.
DRAFTED = "a different model family (portfolio draft)"

_ONE_HOT = """from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import {model}
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_model():
    # text columns -> one column per value (blank -> "missing", unseen -> all zeros)
    text = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"), OneHotEncoder(handle_unknown="ignore")
    )
    # number columns -> blanks filled with the median, then scaled
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    encode = make_column_transformer(
        (text, make_column_selector(dtype_include=object)),
        (numbers, make_column_selector(dtype_exclude=object)),
    )
    return make_pipeline(encode, {call})
"""

_FOREST = """from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import {model}
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder


def build_model():
    # text columns -> integer codes (blank or unseen -> -1); number blanks -> the median
    codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
    encode = make_column_transformer(
        (codes, make_column_selector(dtype_include=object)),
        (SimpleImputer(strategy="median"), make_column_selector(dtype_exclude=object)),
    )
    return make_pipeline(encode, {model}(n_estimators=200, min_samples_leaf=2, random_state={seed}, n_jobs=1))
"""

_LOG_TARGET = """import numpy
from sklearn.compose import TransformedTargetRegressor

{baseline}

_gradient_boosting = build_model


def build_model():
    # the same model, fitted on log(1 + target) and its predictions turned back
    return TransformedTargetRegressor(regressor=_gradient_boosting(), func=numpy.log1p, inverse_func=numpy.expm1)
"""


def _linear(task: MLTask) -> str:
    if task.problem == "regression":
        return _ONE_HOT.format(model="Ridge", call="Ridge(alpha=1.0)")
    return _ONE_HOT.format(model="LogisticRegression", call="LogisticRegression(max_iter=2000)")


def _class_weights(task: MLTask) -> str:
    return baseline_script(task).replace("(random_state=", "(class_weight='balanced', random_state=")


def _log_target(task: MLTask) -> str:
    return _LOG_TARGET.format(baseline=baseline_script(task).strip())


def _forest(task: MLTask) -> str:
    return _FOREST.format(model=model_class(task, "RandomForest"), seed=task.seed)


#: Metrics that weigh every class alike, so a rare class's errors count (class weights help there).
_PER_CLASS = {"f1_macro", "balanced_accuracy"}


def _rare_class(profile: DataProfile, metric: str) -> bool:
    # a class with under 60 % of an even share (30 % of two classes) is rare enough to weigh up
    return metric in _PER_CLASS and profile.minority < 0.6 / max(profile.classes, 2)


def _skewed_and_above_minus_one(profile: DataProfile, metric: str) -> bool:
    return profile.skew > 1.0 and profile.target_min > -1  # log1p of -1 or less is not a number


def _always(profile: DataProfile, metric: str) -> bool:
    return True


class Draft(NamedTuple):
    script: Callable[[MLTask], str]
    problems: tuple[str, ...]
    fits: Callable[[DataProfile, str], bool] = _always  # (profile, metric): worth trying on this shape


#: Each draft's name (what tables, lessons and later tasks call it) -> how it is made and where it fits,
#: in the order to try them.
DRAFTS: dict[str, Draft] = {
    "class weights in the gradient boosting": Draft(_class_weights, ("classification",), _rare_class),
    "linear model on one-hot codes": Draft(_linear, ("classification", "regression")),
    "gradient boosting on log(1 + target)": Draft(_log_target, ("regression",), _skewed_and_above_minus_one),
    "random forest": Draft(_forest, ("classification", "regression")),
}


def fits(name: str, profile: DataProfile, metric: str) -> bool:
    """Whether draft ``name`` is worth trying on data of this shape (and can run on it)."""
    draft = DRAFTS.get(name)
    return draft is not None and profile.problem in draft.problems and draft.fits(profile, metric)


def drafts_for(profile: DataProfile, metric: str) -> list[str]:
    """The portfolio's drafts (their names) for data of this shape, in the order to try them."""
    return [name for name in DRAFTS if fits(name, profile, metric)]


def draft_script(name: str, task: MLTask) -> str:
    return DRAFTS[name].script(task)
