"""Prediction intervals for unseen studies, calibrated on folds that never split a study:
cross-conformal (CV+) prediction with MAPIE for the dose-response models (MAPIE refits them),
and split-conformal intervals with crepes from out-of-fold residuals for the Carey KG-FGNN
(pretrained weights that MAPIE's refitting would discard)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from crepes import ConformalRegressor
from mapie.regression import CrossConformalRegressor
from sklearn.model_selection import GroupKFold

from kgfgnn.scales import signed_expm1, signed_log1p

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


def calibration_residuals(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Absolute residuals on the signed-log scale (the scale of the Carey model's errors)."""
    return np.abs(signed_log1p(np.asarray(y, dtype=float))
                  - signed_log1p(np.asarray(pred, dtype=float)))


def interval_from_residuals(pred: np.ndarray, residuals: np.ndarray,
                            confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Conformal interval (crepes ``ConformalRegressor``) around ``pred`` from residuals of
    out-of-fold predictions on grouped folds, symmetric on the signed-log scale and mapped
    back to the original scale."""
    if len(residuals) == 0:
        raise ValueError("residuals: need at least one calibration residual")
    regressor = ConformalRegressor().fit(residuals=np.asarray(residuals, dtype=float))
    bounds = regressor.predict_int(y_hat=signed_log1p(np.asarray(pred, dtype=float)),
                                   confidence=confidence)
    return signed_expm1(bounds[:, 0]), signed_expm1(bounds[:, 1])


def residual_coverage(predictions: pd.DataFrame, confidence: float = CONFIDENCE
                      ) -> pd.DataFrame:
    """Coverage of :func:`interval_from_residuals` on each held-out fold of grouped CV, the
    interval calibrated on the other folds' out-of-fold residuals (same seed): the coverage
    an unseen site can expect. ``predictions``: seed, fold, y, pred."""
    rows = []
    for (seed, fold), part in predictions.groupby(["seed", "fold"]):
        others = predictions[(predictions.seed == seed) & (predictions.fold != fold)]
        low, high = interval_from_residuals(
            part.pred.to_numpy(), calibration_residuals(others.y, others.pred), confidence)
        y = part.y.to_numpy()
        rows.append({"seed": seed, "fold": fold, "n_test": len(part),
                     "coverage": float(np.mean((y >= low) & (y <= high))),
                     "median_width_log": float(np.median(signed_log1p(high)
                                                         - signed_log1p(low)))})
    return pd.DataFrame(rows)


def split_conformal_log(point: np.ndarray, residuals: np.ndarray,
                        confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Split-conformal interval (crepes) around predictions on a log scale, from the absolute
    out-of-fold residuals of grouped cross-validation on that scale (the interval an unseen
    study can expect)."""
    if len(residuals) == 0:
        raise ValueError("residuals: need at least one calibration residual")
    regressor = ConformalRegressor().fit(residuals=np.abs(np.asarray(residuals, dtype=float)))
    bounds = regressor.predict_int(y_hat=np.asarray(point, dtype=float), confidence=confidence)
    return bounds[:, 0], bounds[:, 1]


def log_residual_coverage(predictions: pd.DataFrame, confidence: float = CONFIDENCE
                          ) -> pd.DataFrame:
    """Coverage of :func:`split_conformal_log` on each held-out fold, calibrated on the other
    folds' out-of-fold residuals of the same seed. ``predictions``: seed, fold, y, pred."""
    rows = []
    for (seed, fold), part in predictions.groupby(["seed", "fold"]):
        others = predictions[(predictions.seed == seed) & (predictions.fold != fold)]
        low, high = split_conformal_log(part.pred.to_numpy(), others.y - others.pred,
                                        confidence)
        y = part.y.to_numpy()
        rows.append({"seed": seed, "fold": fold, "n_test": len(part),
                     "coverage": float(np.mean((y >= low) & (y <= high))),
                     "median_width": float(np.median(high - low))})
    return pd.DataFrame(rows)
