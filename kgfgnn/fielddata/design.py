"""One design for every model of the dose-response studies: what a study records.

Every model sees the same columns: each schema number as recorded (empty = NaN), the natural
log of the measurement window (``duree_expe``; empty = a full year), one indicator per empty
optional number, one indicator per documented code of each code column, and, for the
knowledge approaches, the digital twin's window N2O-N (emitted, from nitrification, zero-N
control; natural logs) and window EF. Models that cannot take NaN impute the training
median inside their own pipeline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn.fielddata.dose_response import WINDOW, window_days

CATEGORICAL = {  # column -> codes as distributed (others, and empty cells, count as missing)
    "Climate": ("Clim1", "Clim2", "Clim3", "Clim4", "Clim5", "Clim6", "Clim7", "Clim8"),
    "Texture_class": ("c", "m", "f"),
    "Drainage": ("w", "p"),
    "crop_type": ("Grass", "Cereal", "Row", "Other", "None", "Wetland_rice", "Legume",
                  "Grass-clover", "irrigated_crop", "Rotation"),
    "Fertilizer_type": ("AN", "U", "AS", "O", "CAN", "KN", "Mix", "UAN", "AA", "OS", "CA",
                        "CAN_grazing", "NP"),
    "Mode_of_application": ("b", "i", "s", "ib"),
    "Method_N2O": ("c", "m", "o", "co", "g"),
}
NUMERIC = ("Carbon_content", "Nitrogen_content", "pH", "Bulk_density", "Annual_Precipitation",
           "Mean_annual_temp", "Timing_of_application", "N_rate", "duree_expe", "Freq_N2O")
LN_WINDOW = "ln_window_days"
# optional numbers whose emptiness is itself information (N_rate is required)
MISSING_INDICATORS = tuple(c for c in NUMERIC if c != "N_rate")
TWIN_FLOOR_KG_N_HA = 1e-3  # floor before the log (twin windows of a few days can be ~0)
TWIN_DESIGN = ("twin_log_n2o_window", "twin_log_nit_window", "twin_log_control_window",
               "twin_log_response", "twin_ef_window_pct")


def design_matrix(frame: pd.DataFrame, twin: pd.DataFrame | None = None) -> pd.DataFrame:
    """The design of :mod:`this module <kgfgnn.fielddata.design>`; same columns for any
    input (codes fixed by the schema)."""
    numbers = frame[list(NUMERIC)].astype(float).assign(**{WINDOW: window_days(frame)})
    parts = [numbers, pd.DataFrame({LN_WINDOW: np.log(window_days(frame))}),
             pd.DataFrame({f"{c}_missing": frame[c].isna().astype(float)
                           for c in MISSING_INDICATORS})]
    for col, codes in CATEGORICAL.items():
        parts.append(pd.DataFrame({f"{col}={c}": (frame[col] == c).astype(float)
                                   for c in codes}, index=frame.index))
    X = pd.concat([p.set_axis(frame.index) for p in parts], axis=1)
    if twin is not None:
        X = pd.concat([X, twin_design(twin).set_axis(frame.index)], axis=1)
    return X


def twin_design(twin: pd.DataFrame) -> pd.DataFrame:
    """The twin's columns of the design (natural logs of kg N2O-N/ha over the window)."""
    log = lambda s: np.log(s.astype(float).clip(lower=TWIN_FLOOR_KG_N_HA))  # noqa: E731
    out = pd.DataFrame({
        "twin_log_n2o_window": log(twin["twin_n2o_window_kg_n_ha"]),
        "twin_log_nit_window": log(twin["twin_nit_window_kg_n_ha"]),
        "twin_log_control_window": log(twin["twin_control_window_kg_n_ha"]),
        "twin_ef_window_pct": twin["twin_ef_window_pct"].astype(float).fillna(0.0),
    })
    # the twin's N response: ln N2O at the row's N rate minus ln N2O of its zero-N control
    out.insert(3, "twin_log_response", out.twin_log_n2o_window - out.twin_log_control_window)
    return out
