"""The fertiliser question on measured studies: each approach's predicted N response of
held-out dose-response studies against the measured one, with IPCC 2019 Tier 1 as the
baseline every model must beat.

From out-of-fold predictions (ln N2O-N over the window) of the grouped split, where a study
is never split across folds, per fertilised treatment of a study with a zero-N control:

    EF = (N2O(N) - N2O(0)) / N x 100 %   (IPCC 2019 EF1 definition; N2O(0) the mean of the
                                          study's zero-N rows, as for the measured EF)

and per study with two or more N rates the N slope (least-squares slope of N2O on the N
rate, kg N2O-N per kg N). IPCC 2019 Tier 1 predicts EF1 = 1 % for upland crops (the
aggregate value) and 0.4 % for flooded rice (Hergoualc'h et al. 2019, Table 11.1); its
disaggregation into wet (1.6 %) and dry (0.5 %) climates needs the ratio of precipitation to
potential evapotranspiration, which these studies do not record, so it is not used here.
Tier 1 is an annual factor: it is scored on every study (as an inventory would apply it) and,
apart, on the studies that measured at least a year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from kgfgnn.fielddata.dose_response import FULL_YEAR_DAYS, GROUP, window_days
from kgfgnn.simulate.validation import IPCC_2019_EF1_PCT

IPCC_TIER1 = "ipcc_tier1"
FLOODED_RICE = "Wetland_rice"  # crop_type of flooded rice in the data


def tier1_ef_pct(crop_type: pd.Series) -> pd.Series:
    """IPCC 2019 Tier 1 EF1 (%) of each row: flooded rice or the aggregate upland value."""
    return pd.Series(np.where(crop_type.eq(FLOODED_RICE), IPCC_2019_EF1_PCT["flooded rice"],
                              IPCC_2019_EF1_PCT["aggregate EF1"]), index=crop_type.index)


def treatment_ef_table(predictions: pd.DataFrame, data: pd.DataFrame,
                       split: str = "grouped") -> pd.DataFrame:
    """One row per (seed, approach, fertilised treatment of a study with a zero-N control):
    measured and predicted EF (%), with IPCC Tier 1 added as approach :data:`IPCC_TIER1`.
    ``predictions`` as :func:`kgfgnn.experiment.study.run_study` returns them (``row``
    indexes ``data``, ``y``/``pred`` ln N2O-N over the window)."""
    part = predictions[predictions.split == split]
    info = data[[GROUP, "N_rate", "crop_type", "duree_expe"]].reset_index(drop=True)
    part = part.join(info, on="row").assign(measured=lambda d: np.exp(d.y),
                                            predicted=lambda d: np.exp(d.pred))
    keys = ["seed", "model", GROUP]
    control = (part[part.N_rate == 0].groupby(keys)[["measured", "predicted"]].mean()
               .add_suffix("_control"))
    fert = part[part.N_rate > 0].join(control, on=keys, how="inner")
    tier1 = fert.drop_duplicates(["seed", "row"]).assign(model=IPCC_TIER1)
    tier1["predicted_control"] = tier1.measured_control
    tier1["predicted"] = tier1.measured_control + tier1_ef_pct(tier1.crop_type) / 100 * \
        tier1.N_rate
    fert = pd.concat([fert, tier1], ignore_index=True)
    fert["ef_measured_pct"] = 100 * (fert.measured - fert.measured_control) / fert.N_rate
    fert["ef_predicted_pct"] = 100 * (fert.predicted - fert.predicted_control) / fert.N_rate
    fert["ef_abs_error_pp"] = (fert.ef_predicted_pct - fert.ef_measured_pct).abs()
    fert["annual_window"] = window_days(fert).to_numpy() >= FULL_YEAR_DAYS
    return fert.reset_index(drop=True)


def study_slopes(predictions: pd.DataFrame, data: pd.DataFrame,
                 split: str = "grouped") -> pd.DataFrame:
    """Per (seed, approach, study with two or more N rates): the measured and predicted
    least-squares slope of N2O-N (kg/ha over the window) on the N rate (kg N/ha)."""
    part = predictions[predictions.split == split].join(
        data[[GROUP, "N_rate"]].reset_index(drop=True), on="row")
    rows = []
    for (seed, model, study), g in part.groupby(["seed", "model", GROUP]):
        if g.N_rate.nunique() < 2:
            continue
        rows.append({"seed": seed, "model": model, GROUP: study,
                     "slope_measured": np.polyfit(g.N_rate, np.exp(g.y), 1)[0],
                     "slope_predicted": np.polyfit(g.N_rate, np.exp(g.pred), 1)[0]})
    return pd.DataFrame(rows)


def ef_scores(table: pd.DataFrame, slopes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per approach (seeds pooled): median and mean absolute EF error (percentage points),
    Spearman rank correlation of predicted with measured EF, on every treatment and on the
    annual windows alone; with ``slopes``, the Spearman correlation of predicted with measured
    N slopes and the share of studies whose slope has the measured sign."""
    rows = []
    for model, part in table.groupby("model"):
        annual = part[part.annual_window]
        row = {"model": model, "treatments": len(part) // max(part.seed.nunique(), 1),
               "studies": part[GROUP].nunique(),
               "ef_median_ae_pp": part.ef_abs_error_pp.median(),
               "ef_mae_pp": part.ef_abs_error_pp.mean(),
               "ef_spearman": spearman_or_nan(part.ef_measured_pct, part.ef_predicted_pct),
               "annual_ef_median_ae_pp": annual.ef_abs_error_pp.median(),
               "annual_ef_spearman": spearman_or_nan(annual.ef_measured_pct,
                                               annual.ef_predicted_pct)}
        if slopes is not None and model != IPCC_TIER1:
            mine = slopes[slopes.model == model]
            row |= {"slope_spearman": spearman_or_nan(mine.slope_measured, mine.slope_predicted),
                    "slope_sign_agrees": float((np.sign(mine.slope_measured)
                                                == np.sign(mine.slope_predicted)).mean())
                    if len(mine) else np.nan}
        rows.append(row)
    return pd.DataFrame(rows).set_index("model").sort_values("ef_median_ae_pp")


def spearman_or_nan(a: pd.Series, b: pd.Series) -> float:
    """Spearman's rank correlation; NaN (without a warning) for fewer than 3 pairs or a
    constant side, where it is not defined."""
    if len(a) < 3 or a.nunique() < 2 or b.nunique() < 2:
        return float("nan")
    return float(spearmanr(a, b).statistic)
