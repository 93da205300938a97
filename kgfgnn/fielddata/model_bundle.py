"""The dose-response prediction model as one file: the approach chosen by grouped
cross-validation fitted on every study, its inputs, the twin's settings and fill values (from
the training studies), and the out-of-fold residuals that calibrate its 90 % interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn.experiment.intervals import CONFIDENCE, split_conformal_log
from kgfgnn.fielddata.dose_response import twin_conditions, window_days
from kgfgnn.fielddata.protocol import APPROACHES, protocol_inputs
from kgfgnn.fielddata.schema import FieldInputError

KIND = "kgfgnn-dose-response-model"
PREDICTION = "predicted_n2o_kg_n_ha_window"  # kg N2O-N/ha over the row's window
LOWER, UPPER = "n2o_lower_90", "n2o_upper_90"
TWIN_OUTPUT = "twin_n2o_kg_n_ha_window"


EF, EF_LOWER, EF_UPPER = "predicted_ef_pct", "ef_lower_90", "ef_upper_90"


def make_bundle(approach: str, model, residuals: np.ndarray, training: pd.DataFrame,
                n_stations: int, seed: int, ef_residuals: np.ndarray | None = None) -> dict:
    """Everything ``predict`` needs; fill values for empty twin cells from ``training``.
    ``ef_residuals``: the approach's emission-factor errors (percentage points) on held-out
    studies' treatments, which calibrate the EF interval of a response curve."""
    from kgfgnn.simulate.twins import fill_values  # the simulation: only where twins are

    ef = np.abs(np.asarray([] if ef_residuals is None else ef_residuals, dtype=float))
    return {"kind": KIND, "approach": approach, "model": model,
            "inputs": APPROACHES[approach].inputs,
            "residuals": np.abs(np.asarray(residuals, dtype=float)),
            "ef_residuals": ef[np.isfinite(ef)],
            "confidence": CONFIDENCE, "n_stations": n_stations, "seed": seed,
            "twin_fill": fill_values(twin_conditions(training))}


def response_emission_factors(curves: pd.DataFrame, ef_residuals: np.ndarray,
                              confidence: float = CONFIDENCE) -> pd.DataFrame:
    """The EF (%) of each fertilised point of each response curve against the curve's own
    zero-N prediction, (N2O(N) - N2O(0)) / N x 100, with its split-conformal interval
    calibrated on ``ef_residuals`` (NaN at zero N, and where no calibration is stored)."""
    control = curves[curves.N_rate == 0].groupby("input_line")[PREDICTION].first()
    zero = curves.input_line.map(control)
    rate = curves.N_rate.where(curves.N_rate > 0)
    ef = 100 * (curves[PREDICTION] - zero) / rate
    out = pd.DataFrame({EF: ef, EF_LOWER: np.nan, EF_UPPER: np.nan}, index=curves.index)
    known = ef.notna().to_numpy()
    if len(ef_residuals) and known.any():
        low, high = split_conformal_log(ef[known].to_numpy(), ef_residuals, confidence)
        out.loc[known, EF_LOWER], out.loc[known, EF_UPPER] = low, high
    return out


def predict_dose(bundle: dict, frame: pd.DataFrame, n_rates: list[float] | None = None,
                 workers: int = 1) -> pd.DataFrame:
    """Predicted N2O-N (kg N2O-N/ha over each row's ``duree_expe`` window; empty = 365 days)
    with the 90 % conformal interval per row; with ``n_rates``, one row per input row and N
    rate (the response curve) and, when 0 is among the rates, the EF of every fertilised
    point with its 90 % interval (:func:`response_emission_factors`). A row whose twin
    cannot be simulated is a :class:`FieldInputError` naming its line."""
    rows = frame.assign(input_line=np.arange(len(frame)) + 2)
    if n_rates:
        rows = pd.concat([rows.assign(N_rate=float(r)) for r in n_rates], ignore_index=True)
    twin = None
    if bundle["inputs"] == "hybrid":  # the design with the digital twin's columns
        from kgfgnn.simulate.twins import run_twins  # DSSAT-CSM, loaded only when needed

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
    if n_rates and 0 in n_rates:
        curves = out.assign(input_line=rows.input_line.to_numpy())
        out = out.join(response_emission_factors(curves, bundle.get("ef_residuals", []),
                                                 bundle["confidence"]))
    return out
