"""The one reporting module: what every chapter reports from a results table.

- The simulated benchmark (chapter 4): the seed paper's claim (KG-FGNN as chosen inside the
  folds against the GBM chosen inside them, and the post-hoc sensitivity), every model
  against KG-FGNN, the ablations, and their readers' tables.
- The measured data sets, written once for Carey (chapter 5) and the dose-response studies
  (chapter 7): the summary per split, every approach against the best real-only model, the
  verdict, the one-standard-error choice, the deployed model's interval coverage.

Every comparison is a Nadeau–Bengio corrected paired interval over seed × fold pairs
(:func:`kgfgnn.experiment.evaluate.corrected_paired_test`) read by one verdict rule
(:func:`kgfgnn.experiment.evaluate.interval_verdict`), worded per question
(:data:`CLAIM_VERDICTS`, :data:`VERDICTS`). The chapters call these and tell the story."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kgfgnn.experiment.evaluate import corrected_paired_test, interval_verdict, summarise
from kgfgnn.experiment.intervals import log_residual_coverage
from kgfgnn.experiment.spaces import CHOSEN_GBM, GBMS, GNN
from kgfgnn.experiment.study import (
    KNOWLEDGE_KINDS,
    REAL_ONLY,
    FieldStudy,
    choice_table,
    choose,
    fit_approach,
)
from kgfgnn.tables import number

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


# ------------------------------------------------------------------ the simulated benchmark
def best_baseline(summary: pd.DataFrame, target: str, split: str, task: str = "plan") -> str:
    """Post hoc: the non-graph family with the lowest mean test RMSE for one task, target and
    split (for figures; the claim uses the GBM chosen inside the folds)."""
    sub = summary[summary.family.isin(["baseline", "tabular_dl"]) & (summary.target == target)
                  & (summary.split == split) & (summary.task == task)]
    return str(sub.sort_values("rmse_mean").iloc[0]["model"])


def _common_folds(part: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Rows of ``models`` on the (seed, fold) pairs that every one of them has."""
    sub = part[part.model.isin(models)]
    counts = sub.groupby(["seed", "fold"]).model.nunique()
    full = counts[counts == len(set(models))].index
    return sub.set_index(["seed", "fold"]).loc[full].reset_index()


def _best(results: pd.DataFrame, names, metric: str = "rmse") -> str:
    """The model among ``names`` with the lowest mean ``metric`` in ``results``."""
    sub = results[results.model.isin(list(names))]
    return str(sub.groupby("model")[metric].mean().idxmin())


def _choices(part: pd.DataFrame) -> str:
    """How often each GBM family was chosen inside the folds, e.g. 'lightgbm 9, xgboost 6'."""
    counts = part[part.model == CHOSEN_GBM].chosen.value_counts()
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda x: -x[1]))


def paired_differences(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """For every (task, split, target): each model against KG-FGNN as chosen inside the folds, as
    mean RMSE difference (model - KG-FGNN) with its Nadeau-Bengio corrected ``level``
    interval over the pairs both have, relative to KG-FGNN's mean RMSE, and the spread (sd)
    of each model's RMSE over seeds x folds. Positive = KG-FGNN better."""
    rows = []
    for (task, split, target), part in results.groupby(["task", "split", "target"]):
        kg_rmse = part[part.model == GNN].rmse
        for model in sorted(set(part.model) - {GNN}):
            test = corrected_paired_test(part, model, GNN, level=level)
            mine = part[part.model == model].rmse
            rows.append({"task": task, "split": split, "target": target, "model": model,
                         "kg_fgnn": GNN,
                         "family": part[part.model == model].family.iloc[0],
                         "rmse": mine.mean(), "kg_fgnn_rmse": kg_rmse.mean(),
                         "diff": test["mean_diff"], "ci_low": test["ci_low"],
                         "ci_high": test["ci_high"], "p_value": test["p_value"],
                         "rel_diff_pct": 100 * test["mean_diff"] / kg_rmse.mean(),
                         "rel_ci_low_pct": 100 * test["ci_low"] / kg_rmse.mean(),
                         "rel_ci_high_pct": 100 * test["ci_high"] / kg_rmse.mean(),
                         "rmse_sd": mine.std(), "kg_fgnn_rmse_sd": kg_rmse.std(),
                         "pairs": test["n"]})
    return pd.DataFrame(rows)


CLAIM_VERDICTS = {"lower": "KG-FGNN better", "higher": "GBM better",
                  "undetermined": "no difference established"}
"""The claim's verdict from KG-FGNN − GBM's interval
(:func:`kgfgnn.experiment.evaluate.interval_verdict`)."""


def claim_check(results: pd.DataFrame, level: float = 0.95, metric: str = "rmse",
                post_hoc: bool = False) -> pd.DataFrame:
    """The seed paper's claim per (task, split, target): KG-FGNN as chosen inside the training
    folds against the GBM chosen inside them (``chosen_gbm``), the comparison a user who must
    pick models in advance meets. ``post_hoc=True``: the sensitivity that picks both by
    their mean *test* ``metric`` (the best KG-FGNN configuration among the chosen one and
    its ablations against the best GBM family, on the folds all of them have), optimistic for
    both. ``ratio`` = mean RMSE ratio (target <= 0.874 out of country, <= 1.05 on random CV);
    ``stable`` = KG-FGNN's RMSE spread over seeds x folds no larger than the GBM's.
    ``metric="rmse_log"`` checks the same on the signed-log scale (columns keep their names)."""
    rows = []
    for (task, split, target), part in results.groupby(["task", "split", "target"]):
        if post_hoc:
            graph_models = sorted(m for m in set(part.model) if m.startswith(GNN))
            gbm_models = sorted(set(part.model) & set(GBMS))
            part = _common_folds(part, graph_models + gbm_models)
            kg, gbm = _best(part, graph_models, metric), _best(part, gbm_models, metric)
            chosen = ""
        else:
            kg, gbm, chosen = GNN, CHOSEN_GBM, _choices(part)
        test = corrected_paired_test(part, kg, gbm, metric=metric, level=level)
        kg_rmse, gbm_rmse = part[part.model == kg][metric], part[part.model == gbm][metric]
        target_ratio = 1.05 if split == "random" else 0.874
        verdict = CLAIM_VERDICTS[interval_verdict(test["ci_low"], test["ci_high"])]
        rows.append({"task": task, "split": split, "target": target, "kg_fgnn": kg,
                     "best_gbm": gbm,
                     "gbm_chosen": chosen,
                     "kg_fgnn_rmse": kg_rmse.mean(), "gbm_rmse": gbm_rmse.mean(),
                     "ratio": kg_rmse.mean() / gbm_rmse.mean(), "paper_target": target_ratio,
                     "meets_target": kg_rmse.mean() / gbm_rmse.mean() <= target_ratio,
                     "diff": test["mean_diff"], "ci_low": test["ci_low"],
                     "ci_high": test["ci_high"], "p_value": test["p_value"],
                     "kg_fgnn_rmse_sd": kg_rmse.std(), "gbm_rmse_sd": gbm_rmse.std(),
                     "stable": kg_rmse.std() <= gbm_rmse.std(), "verdict": verdict,
                     "pairs": test["n"], "metric": metric,
                     "selection": "post hoc (test folds)" if post_hoc else "nested"})
    return pd.DataFrame(rows)


def ablation_table(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """KG-FGNN's ablations (one component of the chosen model changed at a time) against the
    chosen model on the folds that fitted them: RMSE difference (ablation - chosen) with its
    corrected interval; positive = the chosen component helps."""
    rows = []
    for (task, split, target), part in results.groupby(["task", "split", "target"]):
        for model in sorted(m for m in set(part.model) if m.startswith(f"{GNN}[")):
            test = corrected_paired_test(part, model, GNN, level=level)
            rows.append({"task": task, "split": split, "target": target,
                         "change": model.removeprefix(f"{GNN}[").removesuffix("]"),
                         "rmse": part[part.model == model].rmse.mean(),
                         "diff": test["mean_diff"], "ci_low": test["ci_low"],
                         "ci_high": test["ci_high"], "pairs": test["n"]})
    return pd.DataFrame(rows)


def ablation_display(ablation: pd.DataFrame) -> pd.DataFrame:
    """:func:`ablation_table` for readers: per (task, split, change) and target the
    difference with its 95 % interval, or "chosen in every fold" where the search had chosen
    that value in every fold (the difference is then zero by construction)."""
    def cell(r) -> str:
        if np.isfinite(r.ci_low):
            return f"{number(r['diff'])} [{number(r.ci_low)}, {number(r.ci_high)}]"
        return "chosen in every fold" if r["diff"] == 0 else f"{number(r['diff'])} (1 pair)"
    shown = ablation.assign(shown=ablation.apply(cell, axis=1))
    return shown.pivot(index=["task", "split", "change"], columns="target", values="shown")


TARGET_UNITS = {"n2o": "kg N2O-N/ha/yr", "co2": "kg CO2-C/ha/yr", "ch4": "kg CH4-C/ha/yr"}
# Short labels for readers' tables.
TARGET_LABELS = {"n2o": "N₂O (kg N/ha/yr)", "co2": "CO₂ (kg C/ha/yr)", "ch4": "CH₄ (kg C/ha/yr)"}
PROTOCOL_LABELS = {"leave_countries_out": "out of country", "random": "random CV"}
TASK_LABELS = {"plan": "plan (drivers only)", "sensor": "sensor (drivers + states)"}


def claim_table(claim: pd.DataFrame) -> pd.DataFrame:
    """:func:`claim_check` for readers, narrow enough to show whole on a page: protocol,
    target with its unit, both RMSEs (3 significant digits), the ratio against the paper's
    target, the difference with its 95 % interval and the verdict
    (:func:`claim_details` has the models and spreads)."""
    return pd.DataFrame({
        "task": claim.task.map(lambda t: TASK_LABELS.get(t, t)),
        "protocol": claim.split.map(lambda s: PROTOCOL_LABELS.get(s, s.replace("_", " "))),
        "target": claim.target.map(lambda t: TARGET_LABELS.get(t, t.upper())),
        "RMSE KG-FGNN / GBM": [f"{number(a)} / {number(b)}" for a, b in
                               zip(claim.kg_fgnn_rmse, claim.gbm_rmse, strict=True)],
        "ratio (paper ≤)": [f"{r:.2f} ({p:.3g})" for r, p in
                            zip(claim.ratio, claim.paper_target, strict=True)],
        "difference [95 % CI]": [f"{number(d)} [{number(lo)}, {number(hi)}]" for d, lo, hi in
                                 zip(claim["diff"], claim.ci_low, claim.ci_high, strict=True)],
        "verdict": claim.verdict,
    })


def claim_details(claim: pd.DataFrame) -> pd.DataFrame:
    """The models behind each row of :func:`claim_table` (for the nested claim, how often
    each GBM family was chosen), the RMSE spreads over seeds x folds and the pairs."""
    return pd.DataFrame({
        "task": claim.task.map(lambda t: TASK_LABELS.get(t, t)),
        "protocol": claim.split.map(lambda s: PROTOCOL_LABELS.get(s, s.replace("_", " "))),
        "target": claim.target.map(lambda t: TARGET_LABELS.get(t, t.upper())),
        "KG-FGNN": claim.kg_fgnn,
        "GBM": [f"{g} ({c})" if c else g for g, c in
                zip(claim.best_gbm, claim.gbm_chosen, strict=True)],
        "RMSE sd KG-FGNN / GBM": [f"{number(a)} / {number(b)}" for a, b in
                                  zip(claim.kg_fgnn_rmse_sd, claim.gbm_rmse_sd, strict=True)],
        "as stable": claim.stable.map({True: "yes", False: "no"}),
        "pairs": claim.pairs,
    })
