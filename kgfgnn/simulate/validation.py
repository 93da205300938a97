"""The simulation against the field: emission factors by IPCC climate class and country,
the N-rate response per country, and DayCent against CERES denitrification."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from kgfgnn.simulate.dataset import emission_factors, site_table, with_site_columns
from kgfgnn.simulate.execute import SimulationConfig, execute, plan

# IPCC 2019 Refinement, Vol. 4 ch. 11, Table 11.1 (Hergoualc'h et al. 2019): EF1 for N
# additions from synthetic fertilisers, disaggregated by climate, and for flooded rice.
IPCC_2019_EF1_PCT = {"wet climate": 1.6, "dry climate": 0.5, "flooded rice": 0.4,
                     "aggregate EF1": 1.0}


def _describe(values: pd.Series) -> dict:
    return {"n": int(values.size), "median_pct": values.median(),
            "q25_pct": values.quantile(0.25), "q75_pct": values.quantile(0.75)}


YEAR_DAYS = 365  # a window of at least a year is annual, like the simulated EFs
ANNUAL_FIELD = "field studies, windows >= 365 d (measured)"
SHORT_FIELD = "field studies, windows < 365 d (measured)"
# DayCent's share of nitrified N emitted as N2O (2 %, Parton et al. 2001) against DSSAT-CSM's
# fixed 0.1 %: the multiplier of the nitrification N2O in the sensitivity row.
DAYCENT_NITRIFICATION_MULTIPLIER = 20.0


def ef_against_field(ef_sim: pd.DataFrame, ef_field: pd.DataFrame,
                     ef_sensitivity: pd.DataFrame | None = None) -> pd.DataFrame:
    """Simulated annual EF (%) per IPCC class and over all upland seasons, beside IPCC 2019
    EF1 and the field EFs of the dose-response studies (same definition): the studies that
    measured at least a year (annual, like for like) and, apart, the shorter windows
    (``ef_field``'s ``window_days``, as the field data's reader gives it).
    ``ef_sensitivity``: the same simulation with DayCent's nitrification N2O share."""
    rows = {cls: _describe(part.ef_pct) for cls, part in ef_sim.groupby("ipcc_class")}
    rows["all upland (simulated)"] = _describe(ef_sim[~ef_sim.flooded].ef_pct)
    if ef_sensitivity is not None:
        rows["all upland, nitrification N2O share 2 % (DayCent)"] = _describe(
            ef_sensitivity[~ef_sensitivity.flooded].ef_pct)
    annual = ef_field["window_days"] >= YEAR_DAYS
    rows[ANNUAL_FIELD] = _describe(ef_field[annual].ef_pct)
    rows[SHORT_FIELD] = _describe(ef_field[~annual].ef_pct)
    table = pd.DataFrame(rows).T
    table["ipcc_2019_pct"] = [IPCC_2019_EF1_PCT.get(k, IPCC_2019_EF1_PCT["aggregate EF1"])
                              for k in table.index]
    table.loc[[ANNUAL_FIELD, SHORT_FIELD], "ipcc_2019_pct"] = np.nan
    return table.astype({"n": int})


def ef_by_country(ef_sim: pd.DataFrame) -> pd.DataFrame:
    """Median simulated EF (%) of fertilised upland seasons per country."""
    upland = ef_sim[~ef_sim.flooded]
    return (upland.groupby(["iso2", "ipcc_climate"]).ef_pct
            .agg(median_pct="median", seasons="size").reset_index()
            .sort_values("median_pct", ascending=False, ignore_index=True))


def n_response_by_country(seasonal: pd.DataFrame) -> pd.DataFrame:
    """Mean annual N2O-N per country at each N rate, and whether it rises from the lowest to
    the highest rate."""
    usable = seasonal[seasonal.status != "model_error"]
    means = usable.pivot_table(index="iso2", columns="n_rate_kg_ha", values="n2o_kg_n_ha_yr",
                               aggfunc="mean")
    means["rises"] = means[means.columns.max()] > means[means.columns.min()]
    return means


def other_method_run(config: SimulationConfig, workers: int = 0, scheduler: str = "",
                     progress: bool = False) -> pd.DataFrame:
    """The same design under the other GHG method (DayCent <-> CERES): the seasonal table."""
    other = "ceres" if config.ghg_method == "daycent" else "daycent"
    groups = plan(dataclasses.replace(config, ghg_method=other))
    seasonal, _ = execute(groups, 1, workers, scheduler, progress)
    return with_site_columns(seasonal, site_table(groups))


def method_comparison(*seasonals: pd.DataFrame) -> pd.DataFrame:
    """Median EF and N2O per IPCC class for each GHG method."""
    parts = []
    for seasonal in seasonals:
        ef = emission_factors(seasonal)
        method = str(seasonal.ghg_method.dropna().iloc[0])
        parts.append(ef.groupby("ipcc_class").agg(
            median_ef_pct=("ef_pct", "median"), mean_ef_pct=("ef_pct", "mean"),
            median_n2o_kg_n_ha_yr=("n2o_kg_n_ha_yr", "median"), seasons=("ef_pct", "size"))
            .assign(method=method).reset_index())
    return pd.concat(parts, ignore_index=True).set_index(["ipcc_class", "method"]).sort_index()
