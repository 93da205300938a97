"""The Carey (2007) compilation of measured N2O read into the simulation's variable space
(the data set of chapter 5; its study is :mod:`kgfgnn.fielddata.carey`).

Mapping (documented in the book):

- ``n.input`` (kg N/ha/yr) -> ``n_rate_kg_ha`` (one season a year assumed);
- ``carbon`` (soil organic C, %) -> ``soil_oc_pct`` (topsoil organic C, %);
- ``fertilizer`` code -> the four N-form shares ``n_*_frac`` (:data:`FERTILISER_CODES`);
  ``unknown`` gets the mean composition of the six simulated fertiliser types;
- ``emission`` (mean flux, g N2O-N/ha/day) <-> the simulation's seasonal N2O-N divided by
  the simulated season length: ``1000 * n2o_kg_n_ha_season / season_days`` (planting to maturity).

The other variables of the N2O pathway (soil NH4 and NO3, mineralisation, WFPS, ...) are
not recorded by the real data; KG-FGNN keeps them in its graph as *latent* nodes
(:func:`kgfgnn.knowledge.pathway_nodes`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn.paths import data_file
from kgfgnn.variables import N_FORM_COLUMNS, N_FORMS, n_form_fractions

REAL_FILE = "real/carey2007_n2o_fertiliser.csv"
OBSERVED = ("n_rate_kg_ha", "soil_oc_pct", *N_FORM_COLUMNS)
TARGET = "n2o_flux_g_n_ha_day"

# Carey (2007) fertiliser codes -> shares of N by chemical form
FERTILISER_CODES: dict[str, dict[str, float]] = {
    "AN": {"nh4": 0.5, "no3": 0.5},           # ammonium nitrate
    "U": {"urea": 1.0},                        # urea
    "A": {"nh4": 1.0},                         # ammonium-based
    "N": {"no3": 1.0},                         # nitrate-based
    "M": {"organic": 1.0},                     # manure
    "AM": {"nh4": 0.5, "organic": 0.5},        # ammonium + manure
    "UM": {"urea": 0.5, "organic": 0.5},       # urea + manure
    "UA": {"urea": 0.5, "nh4": 0.5},           # urea + ammonium
    "UAN": {"urea": 0.5, "nh4": 0.25, "no3": 0.25},
    "unknown": {form: float(np.mean([mix.get(form, 0.0) for mix in N_FORMS.values()]))
                for form in ("urea", "nh4", "no3", "organic")},
}


def map_real(frame: pd.DataFrame) -> pd.DataFrame:
    """Observed features of real rows in the simulation's variable space."""
    shares = pd.DataFrame(
        [{f"n_{form}_frac": FERTILISER_CODES[code].get(form, 0.0)
          for form in ("urea", "nh4", "no3", "organic")} for code in frame["fertilizer"]],
        index=frame.index)
    shares = shares.mul((frame["n.input"].to_numpy(dtype=float) > 0).astype(float), axis=0)
    return pd.concat([frame["n.input"].astype(float).rename("n_rate_kg_ha"),
                      frame["carbon"].astype(float).rename("soil_oc_pct"),
                      shares[list(N_FORM_COLUMNS)]], axis=1)


def load_real() -> pd.DataFrame:
    """The measured data set with mapped features, the target and the site group."""
    raw = pd.read_csv(data_file(REAL_FILE), keep_default_na=False, na_values=[""])
    out = map_real(raw)
    out[TARGET] = raw["emission"].astype(float)
    out["group"] = raw["group"].astype(str)
    out["fertilizer"] = raw["fertilizer"].astype(str)
    return out


def simulated_observables(seasonal: pd.DataFrame) -> pd.DataFrame:
    """Simulated seasons in the same observed space, with the daily mean N2O flux target and
    the simulated site (``site_id``, the group of the simulation's early stopping)."""
    frame = pd.concat([
        seasonal[["n_rate_kg_ha"]].astype(float),
        seasonal[["soil_oc_pct"]].astype(float),
        n_form_fractions(seasonal["fertiliser"], seasonal["n_rate_kg_ha"]),
    ], axis=1)
    frame[TARGET] = 1000 * seasonal["n2o_kg_n_ha_season"] / seasonal["season_days"].clip(lower=1)
    frame["site_id"] = seasonal["site_id"].astype(str)
    return frame
