"""Splits, metrics and paired tests shared by the simulated and the real-world benchmarks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import GroupKFold, KFold

SPLITS = ("random", "leave_countries_out")


def folds(kind: str, n_folds: int, seed: int, groups: np.ndarray | None = None,
          n: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Train/test indices: ``random`` k-fold, or grouped k-fold (``leave_countries_out``,
    ``grouped``) in which no group is on both sides."""
    if kind == "random":
        yield from KFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(n))
        return
    if kind in ("leave_countries_out", "grouped"):
        if groups is None:
            raise ValueError(f"split={kind!r} needs groups")
        n_groups = len(np.unique(groups))
        if n_groups < n_folds:
            raise ValueError(f"n_folds={n_folds}: only {n_groups} groups to split")
        yield from GroupKFold(n_folds, shuffle=True, random_state=seed).split(
            np.zeros(len(groups)), groups=groups)
        return
    raise ValueError(f"split={kind!r}: allowed values are random, leave_countries_out, grouped")


def metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """R2, RMSE and MAE on the original scale."""
    return {"r2": float(r2_score(y_true, y_pred)),
            "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
            "mae": float(mean_absolute_error(y_true, y_pred))}


def summarise(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean and standard deviation (over seeds and folds) of each metric."""
    agg = results.groupby(by)[["r2", "rmse", "mae"]].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    return agg.reset_index()


def paired_test(results: pd.DataFrame, model_a: str, model_b: str, metric: str = "rmse",
                keys: tuple[str, ...] = ("seed", "fold")) -> dict[str, float]:
    """Two-sided Wilcoxon signed-rank test of ``metric`` paired over seeds and folds."""
    a = results[results.model == model_a].set_index(list(keys))[metric]
    b = results[results.model == model_b].set_index(list(keys))[metric]
    a, b = a.align(b, join="inner")
    if len(a) < 2 or np.allclose(a, b):
        return {"n": len(a), "median_diff": float(np.median(a - b)) if len(a) else np.nan,
                "p_value": np.nan}
    return {"n": len(a), "median_diff": float(np.median(a - b)),
            "p_value": float(wilcoxon(a, b).pvalue)}


def format_table(summary: pd.DataFrame, index: list[str], digits: int = 3) -> pd.DataFrame:
    """``mean ± sd`` strings for display."""
    out = summary[index].copy()
    for m in ("r2", "rmse", "mae"):
        if f"{m}_mean" in summary:
            out[m] = [f"{a:.{digits}g} ± {b:.{digits}g}" if np.isfinite(b) else f"{a:.{digits}g}"
                      for a, b in zip(summary[f"{m}_mean"], summary[f"{m}_std"], strict=True)]
    return out
