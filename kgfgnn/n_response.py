"""The fertiliser question scored: how well a model predicts the N2O response to N.

Every simulated site-year (site, crop, weather year, management block) is run over the
same N-rate ladder, so out-of-fold predictions of all its rates give a predicted response:
the emission factor of each fertilised rate against the zero-N control,

    EF = (N2O(N) - N2O(0)) / N x 100 %   (IPCC 2019 Tier 1 definition of EF1),

and the shape of the response over the ladder (the sign of each step up in N). A model is
scored on the EF error, on the share of fertilised rates whose EF has the simulator's sign,
and on the share of site-years whose whole response has the simulator's shape; IPCC 2019
Tier 1 (EF1 disaggregated by climate and for flooded rice, applied to the simulated
control) is the reference every model must beat. Paired differences between two models
come with a bootstrap interval that resamples countries (the unit out of country).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from kgfgnn.experiment.evaluate import interval_verdict
from kgfgnn.simulate.dataset import SITE_YEAR as RESPONSE_KEYS
from kgfgnn.simulate.dataset import ipcc_class
from kgfgnn.simulate.validation import IPCC_2019_EF1_PCT

IPCC_TIER1 = "ipcc_tier1"
RUN_KEYS = ["task", "split", "seed", "model"]


def sample_site_years(seasonal: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """A seeded sample of whole site-years (every N rate of each) of about ``max_rows``
    rows, so that each sampled site-year keeps its N response; index reset."""
    if max_rows < 1:
        raise ValueError(f"max_rows={max_rows}: must be >= 1")
    keys = list(RESPONSE_KEYS)
    ids = seasonal[keys].drop_duplicates().reset_index(drop=True)
    per = len(seasonal) / max(len(ids), 1)
    n = min(len(ids), max(1, int(round(max_rows / per))))
    chosen = ids.sample(n, random_state=seed)
    return seasonal.merge(chosen, on=keys).reset_index(drop=True)


def response_table(predictions: pd.DataFrame, seasonal: pd.DataFrame,
                   target: str = "n2o") -> pd.DataFrame:
    """One row per (task, split, seed, model, site-year, fertilised N rate): simulated and
    predicted N2O at that rate and at zero N, their EFs (%), and whether the site-year's
    whole predicted response has the simulated shape. ``predictions`` as the benchmark
    writes them (``row`` indexes ``seasonal``); IPCC Tier 1 is added as model
    :data:`IPCC_TIER1` (the simulated control plus EF1 x N)."""
    part = predictions[predictions.target == target]
    info = seasonal[[*RESPONSE_KEYS, "n_rate_kg_ha", "iso2", "flooded", "ipcc_climate"]]
    part = part.join(info, on="row")
    keys = [*RUN_KEYS, *RESPONSE_KEYS]
    control = (part[part.n_rate_kg_ha == 0][[*keys, "y", "pred"]]
               .rename(columns={"y": "y_control", "pred": "pred_control"}))
    fert = part[part.n_rate_kg_ha > 0].merge(control, on=keys, how="inner")
    fert["ipcc_class"] = ipcc_class(fert)
    tier1 = fert.drop_duplicates(["task", "split", "seed", *RESPONSE_KEYS, "n_rate_kg_ha"]
                                 ).assign(model=IPCC_TIER1)
    tier1["pred_control"] = tier1["y_control"]
    tier1["pred"] = tier1.y_control + tier1.ipcc_class.map(IPCC_2019_EF1_PCT) / 100 * \
        tier1.n_rate_kg_ha
    fert = pd.concat([fert, tier1], ignore_index=True)
    fert["ef_true_pct"] = 100 * (fert.y - fert.y_control) / fert.n_rate_kg_ha
    fert["ef_pred_pct"] = 100 * (fert.pred - fert.pred_control) / fert.n_rate_kg_ha
    fert["ef_abs_error_pp"] = (fert.ef_pred_pct - fert.ef_true_pct).abs()
    fert = fert.sort_values([*keys, "n_rate_kg_ha"], ignore_index=True)
    # shape: the sign of every step up the ladder (from 0 to the first rate, and onwards)
    steps_true = fert.groupby(keys).y.diff().fillna(fert.y - fert.y_control)
    steps_pred = fert.groupby(keys).pred.diff().fillna(fert.pred - fert.pred_control)
    fert["step_agrees"] = np.sign(steps_true) == np.sign(steps_pred)
    fert["shape_agrees"] = fert.groupby(keys).step_agrees.transform("all")
    return fert


def n_response_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Per (task, split, seed, model): EF mean and median absolute error (percentage
    points), bias, Spearman rank correlation of predicted with simulated EF, the share of
    fertilised rates whose EF has the simulator's sign and the share of site-years whose
    whole response has its shape."""
    rows = []
    for key, part in table.groupby(RUN_KEYS):
        site_years = part.drop_duplicates(list(RESPONSE_KEYS))
        varies = part.ef_pred_pct.nunique() > 1 and part.ef_true_pct.nunique() > 1
        rho = (spearmanr(part.ef_true_pct, part.ef_pred_pct).statistic if varies else np.nan)
        rows.append(dict(zip(RUN_KEYS, key, strict=True)) | {
            "ef_mae_pp": part.ef_abs_error_pp.mean(),
            "ef_median_ae_pp": part.ef_abs_error_pp.median(),
            "ef_bias_pp": (part.ef_pred_pct - part.ef_true_pct).mean(),
            "ef_spearman": float(rho),
            "sign_agreement": float((np.sign(part.ef_pred_pct)
                                     == np.sign(part.ef_true_pct)).mean()),
            "shape_agreement": float(site_years.shape_agrees.mean()),
            "ef_true_median_pct": part.ef_true_pct.median(),
            "ef_pred_median_pct": part.ef_pred_pct.median(),
            "rates": len(part), "site_years": len(site_years)})
    return pd.DataFrame(rows)


def paired_ef_difference(table: pd.DataFrame, model_a: str, model_b: str,
                         n_boot: int = 2000, seed: int = 0, level: float = 0.95
                         ) -> pd.DataFrame:
    """Per (task, split): mean absolute EF error of ``model_a`` minus ``model_b`` over the
    rates both predicted (seeds pooled), with a bootstrap interval that resamples countries
    (negative = ``model_a`` closer to the simulator's EF)."""
    rows = []
    rng = np.random.default_rng(seed)
    keys = ["seed", *RESPONSE_KEYS, "n_rate_kg_ha"]
    for (task, split), part in table.groupby(["task", "split"]):
        a = part[part.model == model_a].set_index(keys)
        b = part[part.model == model_b].set_index(keys)
        common = a.index.intersection(b.index)
        if common.empty:
            continue
        diff = (a.loc[common, "ef_abs_error_pp"] - b.loc[common, "ef_abs_error_pp"])
        country = a.loc[common, "iso2"].to_numpy()
        by_country = pd.DataFrame({"d": diff.to_numpy(), "c": country}).groupby("c").d
        sums, counts = by_country.sum().to_numpy(), by_country.size().to_numpy()
        draws = rng.integers(0, len(sums), size=(n_boot, len(sums)))
        boot = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
        low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
        verdict = {"lower": f"{model_a} closer", "higher": f"{model_b} closer",
                   "undetermined": "no difference established"}[interval_verdict(low, high)]
        rows.append({"task": task, "split": split, "model_a": model_a, "model_b": model_b,
                     "ef_mae_a_pp": a.loc[common, "ef_abs_error_pp"].mean(),
                     "ef_mae_b_pp": b.loc[common, "ef_abs_error_pp"].mean(),
                     "diff_pp": float(diff.mean()), "ci_low": float(low),
                     "ci_high": float(high), "countries": len(sums), "rates": len(diff),
                     "verdict": verdict})
    return pd.DataFrame(rows)
