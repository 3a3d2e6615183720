"""Drafts: other model families tried on the baseline before the search refines the best (AIDE's
drafting stage, with the directions of an AutoML portfolio).

Left to itself the 1.5B model tunes the baseline's gradient boosting: in the six cross-validated runs
of session 16 (128 experiments, ``docs/ml.md``) no idea named a linear model or class weights, the
changes that gain most on tables of a few thousand rows with many text columns or a rare class.
AutoML systems (auto-sklearn, AutoGluon, FLAML) start from a fixed portfolio of model families for the
same reason, and AIDE drafts several different solutions before it improves one. So the first
experiments after the baseline each write one family of this portfolio, chosen by the data's shape;
the Refiner writes the script (it fits the columns), the harness scores it like any other, and the
search goes on from whichever is best. Each direction is data, stated as a change to the baseline.
"""

from __future__ import annotations

from triloop.ml.profile import DataProfile

#: The why of a drafted idea (and how the log tells drafts from the Reviewer's ideas).
DRAFTED = "a different model family (draft)"

_ONE_HOT = (
    "text columns: blanks filled with 'missing' (SimpleImputer(strategy='constant', "
    "fill_value='missing')) then OneHotEncoder(handle_unknown='ignore'); number columns: blanks filled "
    "with the median (SimpleImputer(strategy='median')) then StandardScaler"
)
_FOREST = (
    "replace the model by {model}(n_estimators=200, min_samples_leaf=2, random_state=SEED, n_jobs=1); "
    "number blanks filled with the median (SimpleImputer(strategy='median')) before it"
)

#: Each draft's short name (what tables, lessons and later tasks call it) -> the change the Refiner is
#: asked to make to the baseline (classes named, since the small model guesses APIs).
DIRECTIONS = {
    "logistic regression on one-hot codes": (
        f"replace the model by LogisticRegression(max_iter=2000) on one-hot codes ({_ONE_HOT})"
    ),
    "ridge regression on one-hot codes": f"replace the model by Ridge(alpha=1.0) on one-hot codes ({_ONE_HOT})",
    "class weights in the gradient boosting": (
        "give the gradient boosting model class_weight='balanced' (the rare class weighs as much as the rest)"
    ),
    "gradient boosting on log1p of the target": (
        "fit the gradient boosting model on log1p of the target: wrap it in "
        "TransformedTargetRegressor(regressor=..., func=numpy.log1p, inverse_func=numpy.expm1)"
    ),
    "random forest classifier": _FOREST.format(model="RandomForestClassifier"),
    "random forest regressor": _FOREST.format(model="RandomForestRegressor"),
}

#: Metrics that weigh every class alike, so a rare class's errors count (class weights help there).
_PER_CLASS = {"f1_macro", "balanced_accuracy"}


def drafts_for(profile: DataProfile, metric: str) -> list[str]:
    """The portfolio's drafts (their short names) for data of this shape, in the order to try them."""
    if profile.problem == "classification":
        # a class with under 60 % of an even share (30 % of two classes) is rare enough to weigh up
        rare = metric in _PER_CLASS and profile.minority < 0.6 / max(profile.classes, 2)
        weights = ["class weights in the gradient boosting"] if rare else []
        return [*weights, "logistic regression on one-hot codes", "random forest classifier"]
    log_target = ["gradient boosting on log1p of the target"] if profile.skew > 1.0 else []
    return ["ridge regression on one-hot codes", *log_target, "random forest regressor"]


def direction(idea: str, seed: int) -> str:
    """What the Refiner is asked to change for ``idea``: a draft's full direction, else the idea."""
    return DIRECTIONS.get(idea, idea).replace("SEED", str(seed))
