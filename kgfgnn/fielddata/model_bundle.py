"""The dose-response prediction model as one file: the approach chosen by grouped
cross-validation fitted on every study, its inputs, the twin's settings and fill values (from
the training studies), and the out-of-fold residuals that calibrate its 90 % interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn.fielddata.design import window_days
from kgfgnn.fielddata.dose_response import twin_conditions
from kgfgnn.fielddata.intervals import CONFIDENCE, split_conformal_log
from kgfgnn.fielddata.protocol import APPROACHES, protocol_inputs
from kgfgnn.fielddata.schema import FieldInputError
from kgfgnn.simulate.twins import fill_values, run_twins

KIND = "kgfgnn-dose-response-model"
PREDICTION = "predicted_n2o_kg_n_ha_window"  # kg N2O-N/ha over the row's window
LOWER, UPPER = "n2o_lower_90", "n2o_upper_90"
TWIN_OUTPUT = "twin_n2o_kg_n_ha_window"


def make_bundle(approach: str, model, residuals: np.ndarray, training: pd.DataFrame,
                n_stations: int, seed: int) -> dict:
    """Everything ``predict`` needs; fill values for empty twin cells from ``training``."""
    return {"kind": KIND, "approach": approach, "model": model,
            "inputs": APPROACHES[approach].inputs,
            "residuals": np.abs(np.asarray(residuals, dtype=float)),
            "confidence": CONFIDENCE, "n_stations": n_stations, "seed": seed,
            "twin_fill": fill_values(twin_conditions(training))}


def predict_dose(bundle: dict, frame: pd.DataFrame, n_rates: list[float] | None = None,
                 workers: int = 1) -> pd.DataFrame:
    """Predicted N2O-N (kg N2O-N/ha over each row's ``duree_expe`` window; empty = 365 days)
    with the 90 % conformal interval per row; with ``n_rates``, one row per input row and N
    rate (the response curve). A row whose twin cannot be simulated is a
    :class:`FieldInputError` naming its line."""
    rows = frame.assign(input_line=np.arange(len(frame)) + 2)
    if n_rates:
        rows = pd.concat([rows.assign(N_rate=float(r)) for r in n_rates], ignore_index=True)
    twin = None
    if bundle["inputs"] == "hybrid":  # the design with the digital twin's columns
        twin = run_twins(twin_conditions(rows), bundle["n_stations"], bundle["seed"],
                         workers=workers, fill=bundle["twin_fill"])
        failed = twin["twin_n2o_window_kg_n_ha"].isna().to_numpy()
        if failed.any():
            line = int(rows.input_line.iloc[int(np.flatnonzero(failed)[0])])
            raise FieldInputError(f"line {line}: the digital twin of this row could not be "
                                  "simulated (DSSAT-CSM failed at every matching station)")
    X = protocol_inputs(rows, twin)[bundle["inputs"]]
    point = np.asarray(bundle["model"].predict(X), dtype=float).ravel()
    low, high = split_conformal_log(point, bundle["residuals"], bundle["confidence"])
    out = rows.drop(columns="input_line") if "input_line" not in frame else rows
    out = out.assign(window_days=window_days(rows).to_numpy())
    if twin is not None:
        out[TWIN_OUTPUT] = twin["twin_n2o_window_kg_n_ha"].to_numpy()
    out[PREDICTION] = np.exp(point)
    out[LOWER], out[UPPER] = np.exp(low), np.exp(high)
    return out
