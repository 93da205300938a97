"""The simulation's N2O emission factors against the field studies' on like terms: annual
simulated EFs against the studies that measured at least a year, and the twins' window EFs
against the studies' own windows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn.fielddata.n_response import spearman_or_nan
from kgfgnn.simulate.dataset import emission_factors
from kgfgnn.simulate.validation import IPCC_2019_EF1_PCT
from kgfgnn.simulate.windows import nitrification_column

WINDOW_CLASSES = ((0, 120, "<= 120 d"), (121, 364, "121-364 d"), (365, 10_000, ">= 365 d"))


def window_class(days: pd.Series) -> pd.Series:
    """The window class of each measurement length."""
    out = pd.Series(index=days.index, dtype=object)
    for low, high, name in WINDOW_CLASSES:
        out[(days >= low) & (days <= high)] = name
    return out


def simulated_annual_ef(seasonal: pd.DataFrame, nitrification_multiplier: float = 1.0
                        ) -> pd.DataFrame:
    """Annual EF (%) of every fertilised simulated season, with DSSAT's nitrification N2O
    share multiplied after the run (1 = as simulated)."""
    annual = seasonal.assign(n2o_kg_n_ha_yr=seasonal.n2o_kg_n_ha_yr + (
        nitrification_multiplier - 1.0) * seasonal[nitrification_column(365)])
    return emission_factors(annual)


def annual_ef_against_field(seasonal: pd.DataFrame, field_ef: pd.DataFrame,
                            multipliers: tuple[float, ...] = (1.0,)) -> pd.DataFrame:
    """Median EF (%) of simulated upland seasons per IPCC class (for each nitrification
    multiplier) beside IPCC 2019 EF1 and the field EFs per measurement window class."""
    rows = []
    for m in multipliers:
        ef = simulated_annual_ef(seasonal, m)
        for cls, part in [*ef.groupby("ipcc_class"), ("all upland", ef[~ef.flooded])]:
            rows.append({"source": f"simulation, nitrification share x{m:g}", "class": cls,
                         "n": len(part), "median_ef_pct": part.ef_pct.median(),
                         "ipcc_2019_pct": IPCC_2019_EF1_PCT.get(
                             cls, IPCC_2019_EF1_PCT["aggregate EF1"])})
    classes = window_class(field_ef["window_days"])
    for _, _, name in WINDOW_CLASSES:
        part = field_ef[classes == name]
        rows.append({"source": "field studies (measured)", "class": f"window {name}",
                     "n": len(part), "median_ef_pct": part.ef_pct.median(),
                     "ipcc_2019_pct": np.nan})
    return pd.DataFrame(rows)


AGREEMENT_CLASSES = {"climate class": "climate", "crop": "crop", "window": "window"}


def twin_ef_agreement(paired: pd.DataFrame, by: dict[str, str] | None = None,
                      measured: str = "ef_pct", twin: str = "twin_ef_window_pct"
                      ) -> pd.DataFrame:
    """The twin's window EF against the measured EF per class of each column of ``by`` (label
    -> column; default :data:`AGREEMENT_CLASSES`):
    treatments, both medians, the median bias (twin - measured) and the rank correlation
    over the treatments where both are known (NaN where fewer than 3 or a side is constant)."""
    def row(part: pd.DataFrame) -> dict[str, float]:
        both = part[[measured, twin]].dropna()
        return {"treatments": len(part), "measured_median_ef": part[measured].median(),
                "twin_median_ef": part[twin].median(),
                "bias": float((part[twin] - part[measured]).median()),
                "rank_corr": spearman_or_nan(both[measured], both[twin])}

    def per_class(column: str) -> pd.DataFrame:
        return pd.DataFrame({name: row(part) for name, part in paired.groupby(column)}
                            ).T.rename_axis(column)
    return pd.concat({label: per_class(column)
                      for label, column in (by or AGREEMENT_CLASSES).items()})


def study_means(data: pd.DataFrame, twin: pd.DataFrame, X_twin: pd.DataFrame,
                multiplier: float) -> pd.DataFrame:
    """Per study, the means of: measured ln N2O-N over the window (``log_N2O``), the
    window-matched twin (``twin``), the same with the nitrification N2O share multiplied by
    ``multiplier`` (``twin_cal``), the annual twin scaled by window / 365 days
    (``annual_scaled``, floored at :data:`~kgfgnn.fielddata.design.TWIN_FLOOR_KG_N_HA` before
    the log) and ln window length (``window``): what ranks the studies, and how well.
    ``X_twin``: the hybrid input table of ``data`` (its twin columns)."""
    from kgfgnn.fielddata.design import TWIN_FLOOR_KG_N_HA
    from kgfgnn.fielddata.dose_response import FULL_YEAR_DAYS, GROUP, window_days
    from kgfgnn.fielddata.estimators import CalibratedTwin

    days = window_days(data)
    return (data.assign(twin=X_twin.twin_log_n2o_window,
                        twin_cal=CalibratedTwin.twin_log(X_twin, multiplier),
                        annual_scaled=np.log(twin.twin_n2o_kg_n_ha_yr.clip(
                            lower=TWIN_FLOOR_KG_N_HA) * days / FULL_YEAR_DAYS),
                        window=np.log(days))
            .groupby(GROUP)[["log_N2O", "twin", "twin_cal", "annual_scaled", "window"]].mean())


def twin_ef_pairs(field_ef: pd.DataFrame, twin: pd.DataFrame, conditions: pd.DataFrame
                  ) -> pd.DataFrame:
    """Each fertilised treatment's measured EF (:func:`~kgfgnn.fielddata.dose_response.
    field_emission_factors`) beside its twin's window EF, with the crop, the decoded climate
    class and the window class (:func:`window_class`) to compare them by."""
    from kgfgnn.fielddata.dose_response import window_days
    from kgfgnn.fielddata.protocol import climate_label

    paired = field_ef.join(twin[["twin_ef_window_pct", "twin_ef_pct"]]).join(
        conditions[["crop"]])
    return paired.assign(twin_ef_pct=paired.twin_ef_window_pct,
                         climate=paired.Climate.map(climate_label),
                         window=window_class(window_days(paired)))
