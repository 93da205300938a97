"""Prediction intervals for unseen sites and studies: split-conformal intervals (crepes)
calibrated on out-of-fold residuals of folds that never split a site or study, on the scale
the real-data protocol fits (the signed-log scale of the Carey fluxes, the log of the
dose-response totals)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from crepes import ConformalRegressor

CONFIDENCE = 0.9


def _held_out_coverage(predictions: pd.DataFrame,
                       interval: Callable[[np.ndarray, pd.DataFrame],
                                          tuple[np.ndarray, np.ndarray]],
                       width: Callable[[np.ndarray, np.ndarray], np.ndarray],
                       width_column: str) -> pd.DataFrame:
    """Coverage per held-out fold of an interval calibrated on the other folds'
    out-of-fold predictions of the same seed. ``predictions``: seed, fold, y, pred."""
    rows = []
    for (seed, fold), part in predictions.groupby(["seed", "fold"]):
        others = predictions[(predictions.seed == seed) & (predictions.fold != fold)]
        low, high = interval(part.pred.to_numpy(), others)
        y = part.y.to_numpy()
        rows.append({"seed": seed, "fold": fold, "n_test": len(part),
                     "coverage": float(np.mean((y >= low) & (y <= high))),
                     width_column: float(np.median(width(low, high)))})
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
    return _held_out_coverage(
        predictions,
        lambda pred, others: split_conformal_log(pred, others.y - others.pred, confidence),
        lambda low, high: high - low, "median_width")
