"""The measured data sets' report, written once for Carey (chapter 5) and the dose-response
studies (chapter 7): the summary per split, every approach against the best real-only model
with Nadeau–Bengio intervals, the verdict, the one-standard-error choice, the deployed
model's interval coverage. The chapters call these and tell the story."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kgfgnn.experiment.evaluate import corrected_paired_test, interval_verdict, summarise
from kgfgnn.experiment.intervals import log_residual_coverage
from kgfgnn.experiment.study import (
    KNOWLEDGE_KINDS,
    REAL_ONLY,
    FieldStudy,
    choice_table,
    choose,
    fit_approach,
)

VERDICTS = {"lower": "improves on", "higher": "is worse than",
            "undetermined": "is not distinguishable from"}
"""How the best knowledge-based approach compares with the best real-only one (its RMSE
difference's interval below, above or across zero:
:func:`kgfgnn.experiment.evaluate.interval_verdict`)."""


def all_rows(results: pd.DataFrame) -> pd.DataFrame:
    """The results with every training group (no learning-curve point)."""
    return results[results.curve_point == "all"]


def split_summary(results: pd.DataFrame,
                   metrics: tuple[str, ...] = ("r2", "rmse", "mae", "rmse_log")
                   ) -> pd.DataFrame:
    """Mean and sd over seeds × folds per (split, model), lowest RMSE first per split."""
    present = tuple(m for m in metrics if m in results)
    return summarise(all_rows(results), ["split", "model"], present).sort_values(
        ["split", "rmse_mean"], ignore_index=True)


def best_of(summary: pd.DataFrame, split: str, kinds: tuple[str, ...]) -> str:
    """The approach of ``kinds`` (name prefixes) with the lowest mean RMSE in ``split``."""
    part = summary[(summary.split == split) & summary.model.str.startswith(kinds)]
    if part.empty:
        raise ValueError(f"no approach of kinds {list(kinds)} in split {split!r}")
    return str(part.sort_values("rmse_mean").iloc[0].model)


def against_best_real_only(results: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Per split, every approach against the best real-only one: the RMSE difference over
    seed × fold pairs with its 95 % corrected interval."""
    rows = []
    full = all_rows(results)
    for split in summary.split.unique():
        part = full[full.split == split]
        ref = best_of(summary, split, (REAL_ONLY,))
        rows += [{"split": split, "model": model, "vs": ref,
                  **corrected_paired_test(part, model, ref)}
                 for model in summary[summary.split == split].model if model != ref]
    return pd.DataFrame(rows)


def answers(summary: pd.DataFrame, tests: pd.DataFrame) -> pd.DataFrame:
    """Per split: the best real-only and the best knowledge-based approach
    (:data:`kgfgnn.experiment.study.KNOWLEDGE_KINDS`), their R², the difference with its
    interval and the verdict (:data:`VERDICTS`)."""
    rows = []
    for split in summary.split.unique():
        part = summary[summary.split == split].set_index("model")
        real, knowledge = (best_of(summary, split, (REAL_ONLY,)),
                           best_of(summary, split, KNOWLEDGE_KINDS))
        t = tests.set_index(["split", "model"]).loc[(split, knowledge)]
        rows.append({"split": split, "best_real_only": real,
                     "best_real_only_r2": float(part.loc[real, "r2_mean"]),
                     "best_real_only_rmse": float(part.loc[real, "rmse_mean"]),
                     "best_knowledge": knowledge,
                     "best_knowledge_r2": float(part.loc[knowledge, "r2_mean"]),
                     "best_knowledge_rmse": float(part.loc[knowledge, "rmse_mean"]),
                     "diff": float(t.mean_diff), "ci_low": float(t.ci_low),
                     "ci_high": float(t.ci_high), "pairs": int(t.n),
                     "verdict": VERDICTS[interval_verdict(t.ci_low, t.ci_high)]})
    return pd.DataFrame(rows).set_index("split")


@dataclass
class Deployment:
    """The approach ``predict`` deploys, refitted on every row, with its evidence: the
    one-standard-error ``choice`` table, the out-of-fold predictions ``oof`` of the grouped
    split and the interval ``coverage`` per fold."""

    chosen: str
    model: object
    params: dict
    choice: pd.DataFrame
    oof: pd.DataFrame
    coverage: pd.DataFrame

    @property
    def residuals(self) -> pd.Series:
        """Out-of-fold residuals (measured − predicted) that calibrate its intervals."""
        return self.oof.y - self.oof.pred


def deploy(study: FieldStudy, results: pd.DataFrame, predictions: pd.DataFrame,
           seed: int) -> Deployment:
    """Choose by the one-standard-error rule on grouped CV, refit on all rows, and measure
    the nominal 90 % interval's coverage on the held-out groups."""
    chosen = choose(results, study.approaches)
    model, params = fit_approach(study, chosen, np.arange(len(study.y)), seed)
    oof = predictions[predictions.model == chosen]
    if "split" in oof:
        oof = oof[oof.split == "grouped"]
    return Deployment(chosen, model, params, choice_table(results, study.approaches), oof,
                      log_residual_coverage(oof))
