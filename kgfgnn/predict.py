"""Validate a CSV of field records and predict N2O emissions with a saved model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kgfgnn.atomic import atomic_path
from kgfgnn.realworld import FERTILISER_CODES, REQUIRED_COLUMNS, map_real, with_latent
from kgfgnn.train import KGFGNNRegressor

PREDICTION_COLUMN = "predicted_emission_g_n2o_n_ha_day"


class PredictionInputError(ValueError):
    """The input CSV is not valid; the message names the row and column."""


def validate_input(frame: pd.DataFrame) -> pd.DataFrame:
    """Check columns and values; rows are numbered as in the file (header = line 1)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise PredictionInputError(f"missing column(s) {missing}; required are "
                                   f"{list(REQUIRED_COLUMNS)} (optional: group)")
    if frame.empty:
        raise PredictionInputError("the input has no data rows")
    for i, code in enumerate(frame["fertilizer"]):
        if str(code) not in FERTILISER_CODES:
            raise PredictionInputError(
                f"line {i + 2}, column 'fertilizer': unknown code {code!r}; allowed are "
                f"{sorted(FERTILISER_CODES)}")
    for col in ("carbon", "n.input"):
        values = pd.to_numeric(frame[col], errors="coerce")
        for i in np.flatnonzero(values.isna() | ~np.isfinite(values.fillna(np.inf))):
            raise PredictionInputError(
                f"line {i + 2}, column {col!r}: {frame[col].iloc[i]!r} is not a finite number")
        for i in np.flatnonzero(values < 0):
            raise PredictionInputError(
                f"line {i + 2}, column {col!r}: {values.iloc[i]:g} is negative; must be >= 0")
    out = frame.copy()
    out["carbon"] = pd.to_numeric(out["carbon"])
    out["n.input"] = pd.to_numeric(out["n.input"])
    out["fertilizer"] = out["fertilizer"].astype(str)
    return out


def predict_frame(model: KGFGNNRegressor, latent: list[str], frame: pd.DataFrame) -> np.ndarray:
    """Predicted mean N2O flux (g N2O-N/ha/day) for validated rows."""
    features = with_latent(map_real(frame), latent)
    return np.asarray(model.predict(features)).reshape(-1)


def predict_csv(model_path: str | Path, input_path: str | Path,
                output_path: str | Path) -> int:
    """Read, validate, predict and write (atomically). Returns the number of rows."""
    model_path, input_path = Path(model_path), Path(input_path)
    for path, what in ((model_path, "model"), (input_path, "input")):
        if not path.is_file():
            raise FileNotFoundError(f"{what} file {path} not found")
    frame = validate_input(pd.read_csv(input_path, dtype={"fertilizer": str, "group": str},
                                       keep_default_na=False, na_values=[""]))
    model, extra = KGFGNNRegressor.load(model_path)
    out = frame.copy()
    out[PREDICTION_COLUMN] = predict_frame(model, list(extra.get("latent", [])), frame)
    with atomic_path(output_path) as tmp:
        out.to_csv(tmp, index=False)
    return len(out)
