"""The dose-response prediction model as one file: the conformal regressor, which features it
uses (with or without the digital twin), the twin's settings and the schema it accepts."""

from __future__ import annotations

import pickle
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from kgfgnn import __version__
from kgfgnn.atomic import atomic_path
from kgfgnn.fielddata.dose_response import twin_conditions
from kgfgnn.fielddata.intervals import predict_with_interval
from kgfgnn.fielddata.protocol import design_matrix
from kgfgnn.fielddata.schema import FieldInputError

KIND = "kgfgnn-dose-response-model"
PREDICTION = "predicted_n2o_kg_n_ha"
LOWER, UPPER = "n2o_lower_90", "n2o_upper_90"


DoseInputError = FieldInputError  # a row of the input does not follow the schema


def save_bundle(path: str | Path, model, uses_twin: bool, n_stations: int, seed: int,
                approach: str) -> None:
    """Write the bundle atomically (joblib; load only files you made yourself)."""
    bundle = {"kind": KIND, "version": __version__, "model": model, "uses_twin": uses_twin,
              "n_stations": n_stations, "seed": seed, "approach": approach}
    with atomic_path(path) as tmp:
        joblib.dump(bundle, tmp)


def load_bundle(path: str | Path) -> dict | None:
    """The bundle, or None when the file is not one (e.g. a torch checkpoint)."""
    try:
        bundle = joblib.load(path)
    except (pickle.UnpicklingError, EOFError, KeyError, ValueError, TypeError, IndexError,
            AttributeError, ModuleNotFoundError, OSError):
        return None
    return bundle if isinstance(bundle, dict) and bundle.get("kind") == KIND else None


def validate_dose_input(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns as distributed (``N2O``/``log_N2O`` not needed), checked against the
    dose-response schema (:data:`kgfgnn.fielddata.datasets.DOSE_RESPONSE`): empty cells allowed
    except ``Climate`` and ``N_rate``. Errors name the line (header = line 1) and the column."""
    from kgfgnn.fielddata.datasets import DOSE_RESPONSE

    return DOSE_RESPONSE.validate(frame)


def predict_dose(bundle: dict, frame: pd.DataFrame, n_rates: list[float] | None = None
                 ) -> pd.DataFrame:
    """Predicted N2O (kg N2O-N/ha/yr) with the 90 % conformal interval per row; with
    ``n_rates``, one row per input row and N rate (the response curve)."""
    rows = frame
    if n_rates:
        rows = pd.concat([frame.assign(N_rate=float(r), input_line=np.arange(len(frame)) + 2)
                          for r in n_rates], ignore_index=True)
    twin = None
    if bundle["uses_twin"]:
        from kgfgnn.simulate.twins import run_twins

        twin = run_twins(twin_conditions(rows), bundle["n_stations"], bundle["seed"])
    X = design_matrix(rows, twin)
    point, low, high = predict_with_interval(bundle["model"], X)
    out = rows.copy()
    if twin is not None:
        out["twin_n2o_kg_n_ha_yr"] = twin["twin_n2o_kg_n_ha_yr"].to_numpy()
    out[PREDICTION] = np.exp(point)
    out[LOWER], out[UPPER] = np.exp(low), np.exp(high)
    return out
