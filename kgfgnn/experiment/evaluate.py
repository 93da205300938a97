"""Splits, metrics and paired tests shared by the simulated and the real-world benchmarks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy.stats import t as student_t
from scipy.stats import wilcoxon
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import GroupKFold, KFold

from kgfgnn.scales import signed_log1p

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


def rmse_log(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """RMSE on the signed-log scale sign(y) ln(1 + |y|): a metric that the few extreme
    simulated fluxes (DSSAT's wet, carbon-rich soils) do not dominate, reported beside the
    original-scale RMSE."""
    return float(np.sqrt(np.mean((signed_log1p(y_true) - signed_log1p(y_pred)) ** 2)))


def summarise(results: pd.DataFrame, by: list[str],
              metrics: tuple[str, ...] = ("r2", "rmse", "mae")) -> pd.DataFrame:
    """Mean and standard deviation (over seeds and folds) of each metric."""
    agg = results.groupby(by)[list(metrics)].agg(["mean", "std"])
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


def interval_verdict(ci_low: float, ci_high: float) -> str:
    """The one verdict rule of the study, for a difference a − b with its interval: "lower"
    (the interval lies below zero: a's error is lower), "higher" (above zero) or
    "undetermined" (it spans zero, or could not be computed)."""
    if ci_high < 0:
        return "lower"
    if ci_low > 0:
        return "higher"
    return "undetermined"


def corrected_paired_test(results: pd.DataFrame, model_a: str, model_b: str,
                          metric: str = "rmse", keys: tuple[str, ...] = ("seed", "fold"),
                          level: float = 0.95) -> dict[str, float]:
    """Nadeau & Bengio's (2003, Mach. Learn. 52:239-281) corrected resampled t-test of
    ``metric(a) - metric(b)`` paired over seeds x folds.

    Cross-validation folds share most of their training data, so the differences are
    correlated and the naive t-test is far too confident; the correction inflates the
    variance of the mean difference from s^2/J to (1/J + n_test/n_train) s^2 (Bouckaert &
    Frank 2004 for repeated k-fold). Returns the mean difference with its ``level`` interval,
    the two-sided p-value, the number of pairs and the mean ratio a/b.
    """
    a = results[results.model == model_a].set_index(list(keys))
    b = results[results.model == model_b].set_index(list(keys))
    common = a.index.intersection(b.index)
    a, b = a.loc[common], b.loc[common]
    diff = (a[metric] - b[metric]).to_numpy()
    n = len(diff)
    out = {"n": n, "mean_diff": float(diff.mean()) if n else np.nan,
           "ratio": float((a[metric] / b[metric]).mean()) if n else np.nan,
           "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
    if n < 2:
        return out
    test_share = float((a["n_test"] / a["n_train"]).mean())
    se = np.sqrt((1 / n + test_share) * diff.var(ddof=1))
    if se == 0:
        return out
    half = student_t.ppf(0.5 + level / 2, n - 1) * se
    out.update(ci_low=out["mean_diff"] - half, ci_high=out["mean_diff"] + half,
               p_value=float(2 * student_t.sf(abs(out["mean_diff"]) / se, n - 1)))
    return out


def stability(results: pd.DataFrame, metric: str = "rmse",
              by: tuple[str, ...] = ("split", "target", "model")) -> pd.DataFrame:
    """Spread of ``metric`` over seeds x folds: standard deviation and coefficient of
    variation (sd / mean), the paper's notion of a model's stability."""
    g = results.groupby(list(by))[metric]
    out = pd.DataFrame({f"{metric}_sd": g.std(), f"{metric}_mean": g.mean()})
    out[f"{metric}_cv"] = out[f"{metric}_sd"] / out[f"{metric}_mean"]
    return out.reset_index()


def format_table(summary: pd.DataFrame, index: list[str], digits: int = 3,
                 unit: str | None = None) -> pd.DataFrame:
    """``mean ± sd`` strings for display (``digits`` significant digits). With ``unit``, the
    columns are labelled for readers: ``R²``, ``RMSE (unit)``, ``MAE (unit)``."""
    out = summary[index].copy()
    for m in ("r2", "rmse", "mae", "rmse_log"):
        if f"{m}_mean" in summary:
            out[m] = [f"{a:.{digits}g} ± {b:.{digits}g}" if np.isfinite(b) else f"{a:.{digits}g}"
                      for a, b in zip(summary[f"{m}_mean"], summary[f"{m}_std"], strict=True)]
    if unit is not None:
        out = out.rename(columns={"r2": "R²", "rmse": f"RMSE ({unit})", "mae": f"MAE ({unit})",
                                  "rmse_log": "RMSE (signed-log scale)"})
    return out
