"""Which simulated variables are model inputs, which are targets, and which would leak them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn import TARGETS

TARGET_COLUMNS = {"n2o": "n2o_kg_n_ha_yr", "co2": "co2_kg_c_ha_yr", "ch4": "ch4_kg_c_ha_yr"}
TARGET_UNITS = {"n2o": "kg N2O-N/ha/yr", "co2": "kg CO2-C/ha/yr", "ch4": "kg CH4-C/ha/yr"}
"""Units of the simulated targets (crop-year totals), for axes and table headers."""

# Share of the applied N in each chemical form, per fertiliser type. UAN: 50 % urea, 25 %
# ammonium, 25 % nitrate (by N; standard UAN composition); ammonium nitrate: half NH4, half
# NO3; calcium nitrate counted as all nitrate; manure as organic N.
N_FORMS: dict[str, dict[str, float]] = {
    "urea": {"urea": 1.0},
    "ammonium_nitrate": {"nh4": 0.5, "no3": 0.5},
    "ammonium_sulphate": {"nh4": 1.0},
    "uan": {"urea": 0.5, "nh4": 0.25, "no3": 0.25},
    "calcium_nitrate": {"no3": 1.0},
    "manure": {"organic": 1.0},
}
N_FORM_COLUMNS = ("n_urea_frac", "n_nh4_frac", "n_no3_frac", "n_organic_frac")
CROPS = ("maize", "wheat", "rice", "soybean")

DRIVERS = (
    "n_rate_kg_ha", *N_FORM_COLUMNS, "splits", "placement_depth_cm", "tillage",
    "residue_kg_ha", "irrigated", "flooded", *(f"crop_{c}" for c in CROPS),
    "lat_abs_deg", "t_annual_c", "precip_annual_mm", "soil_oc_pct", "soil_clay_pct",
    "soil_sand_pct", "soil_bd_g_cm3", "soil_dul", "soil_ll", "soil_sat", "soil_ksat_cm_h",
    "t_max_mean_c", "t_min_mean_c", "srad_mean_mj_m2", "precip_mm",
)
"""Known before or measurable without flux chambers: management, crop, site, season weather."""

STATES = (
    "wfps_mean_0_15", "soil_temp_mean_0_15_c", "no3_mean_0_15_ppm", "nh4_mean_0_15_ppm",
    "soil_water_mean_0_15", "inorganic_n_mean_kg_ha", "yield_kg_ha", "biomass_kg_ha",
    "n_uptake_kg_ha", "irrigation_mm", "et_mm", "drainage_mm", "no3_leached_kg_n_ha_yr",
    "n_mineralised_kg_ha",
)
"""Simulated soil and crop states that field studies routinely measure."""

LEAKING = (
    "n2_kg_n_ha", "no_kg_n_ha", "denitrification_kg_n_ha", "nitrification_kg_n_ha",
    "n2o_from_denitrification_kg_n_ha", "n2o_from_nitrification_kg_n_ha",
    "n2o_daily_max_g_n_ha", "co2_daily_max_g_c_ha", "soc_change_kg_ha", "n_gas_losses_kg_ha",
)
"""Process fluxes produced together with the targets: never model inputs (they would leak)."""

CANDIDATES = DRIVERS + STATES


def n_form_fractions(fertiliser: pd.Series, n_rate: pd.Series) -> pd.DataFrame:
    """The four N-form share columns (all zero when no N is applied)."""
    unknown = sorted(set(fertiliser.dropna()) - set(N_FORMS))
    if unknown:
        raise ValueError(f"fertiliser type(s) {unknown} unknown: allowed are {sorted(N_FORMS)}")
    out = {}
    for col in N_FORM_COLUMNS:
        form = col.removeprefix("n_").removesuffix("_frac")
        out[col] = fertiliser.map(lambda f, form=form: N_FORMS.get(f, {}).get(form, 0.0))
    frame = pd.DataFrame(out, index=fertiliser.index).astype(float)
    return frame.mul((np.asarray(n_rate, dtype=float) > 0).astype(float), axis=0)


def feature_frame(seasonal: pd.DataFrame) -> pd.DataFrame:
    """Numeric candidate features (DRIVERS + STATES) of the seasonal table, in a fixed order."""
    frame = seasonal.copy()
    frame = frame.join(n_form_fractions(frame["fertiliser"], frame["n_rate_kg_ha"]))
    for crop in CROPS:
        frame[f"crop_{crop}"] = (frame["crop"] == crop).astype(float)
    frame["lat_abs_deg"] = frame["lat_deg"].abs()
    out = frame[list(CANDIDATES)].astype(float)
    return out.fillna(out.median())


def target_frame(seasonal: pd.DataFrame) -> pd.DataFrame:
    """The three target columns named by :data:`kgfgnn.TARGETS`."""
    return seasonal[[TARGET_COLUMNS[t] for t in TARGETS]].set_axis(list(TARGETS), axis=1)

FERTILISATION_DECISIONS = ("n_rate_kg_ha", *N_FORM_COLUMNS)
"""The decisions a fertilisation-oriented model must always see (kept by the feature selector)."""

TASKS: dict[str, tuple[str, ...]] = {"plan": DRIVERS, "sensor": CANDIDATES}
"""The simulated data's two prediction tasks and their inputs. ``plan`` (the primary task):
drivers only, what an adviser or an inventory knows before the season and what the measured
data sets and ``predict`` have. ``sensor``: drivers plus the measured soil and crop states
(closest to the seed paper's multi-dimensional simulated variables)."""

PROCESS_FLUXES = ("nitrification_kg_n_ha", "denitrification_kg_n_ha")
"""Simulated process fluxes that supervise KG-FGNN's intermediate nodes (never inputs)."""


def check_task(task: str) -> tuple[str, ...]:
    """The input columns of ``task``."""
    if task not in TASKS:
        raise ValueError(f"task={task!r}: allowed values are {list(TASKS)}")
    return TASKS[task]


def model_frame(seasonal: pd.DataFrame) -> pd.DataFrame:
    """:func:`feature_frame` plus the process fluxes that supervise intermediate nodes
    (missing values filled with the median); which columns a model reads is its task's."""
    fluxes = seasonal[list(PROCESS_FLUXES)].astype(float)
    return feature_frame(seasonal).join(fluxes.fillna(fluxes.median()))
