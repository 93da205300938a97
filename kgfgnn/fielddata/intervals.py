"""Prediction intervals for unseen studies: cross-conformal (CV+) prediction with MAPIE,
calibrated on folds that never split a study."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from mapie.regression import CrossConformalRegressor
from sklearn.model_selection import GroupKFold

CONFIDENCE = 0.9


def conformal(estimator, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, seed: int,
              confidence: float = CONFIDENCE, n_folds: int = 5) -> CrossConformalRegressor:
    """CV+ intervals (Barber et al. 2021) around ``estimator``, residuals from grouped folds."""
    n_folds = min(n_folds, len(np.unique(groups)))
    model = CrossConformalRegressor(
        estimator, confidence_level=confidence, method="plus",
        cv=GroupKFold(n_folds, shuffle=True, random_state=seed), random_state=seed)
    with warnings.catch_warnings():  # all-empty columns of a fold (dropped by the pipeline)
        warnings.simplefilter("ignore", RuntimeWarning)
        return model.fit_conformalize(X, y, groups=groups)


def predict_with_interval(model: CrossConformalRegressor, X: pd.DataFrame
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point prediction, lower and upper bound (on the model's scale)."""
    point, bounds = model.predict_interval(X)
    return np.asarray(point), bounds[:, 0, 0], bounds[:, 1, 0]


def grouped_coverage(estimator, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray,
                     seed: int, n_folds: int = 5, confidence: float = CONFIDENCE
                     ) -> pd.DataFrame:
    """Coverage and width of the intervals on held-out studies, per outer grouped fold."""
    rows = []
    outer = GroupKFold(n_folds, shuffle=True, random_state=seed)
    for k, (train, test) in enumerate(outer.split(X, y, groups)):
        model = conformal(estimator, X.iloc[train], y[train], groups[train], seed, confidence)
        _, low, high = predict_with_interval(model, X.iloc[test])
        inside = (y[test] >= low) & (y[test] <= high)
        rows.append({"fold": k, "n_test": len(test), "coverage": float(inside.mean()),
                     "median_width": float(np.median(high - low))})
    return pd.DataFrame(rows)
