"""Validate a CSV of field records and predict N2O emissions with a saved model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from kgfgnn.atomic import atomic_path
from kgfgnn.bundles import BundleError, load_bundle
from kgfgnn.datasets import adapter
from kgfgnn.fielddata.schema import FieldInputError
from kgfgnn.fielddata.schemas import CAREY, DOSE_RESPONSE

MAX_N_RATE = 2000.0  # kg N/ha, as the dose-response schema (kgfgnn/fielddata/schemas.py)


class PredictionInputError(ValueError):
    """The input CSV is not valid; the message names the row and column."""


def validate_input(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the Carey schema (:data:`kgfgnn.fielddata.schemas.CAREY`); rows are numbered as
    in the file (header = line 1)."""
    try:
        return CAREY.validate(frame)
    except FieldInputError as err:
        raise PredictionInputError(str(err)) from None


def read_input_csv(path: Path, dtype: dict[str, type]) -> pd.DataFrame:
    """The input CSV as text cells (empty cells as NaN); one-line errors for unreadable files."""
    if not path.exists():
        raise PredictionInputError(f"input file {path} not found")
    if not path.is_file():
        raise PredictionInputError(f"input {path} is not a file")
    try:
        frame = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        raise PredictionInputError(f"input file {path} is empty: expected a header line "
                                   "and at least one data row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        reason = str(err).strip().splitlines()[-1]
        raise PredictionInputError(f"input file {path} is not a readable CSV: {reason}") from None
    except OSError as err:
        raise PredictionInputError(f"input file {path} cannot be read: {err.strerror}") from None
    if frame.empty:
        raise PredictionInputError(f"input file {path} has a header but no data rows")
    return frame


def check_writable(path: Path) -> None:
    """Fail before any work when the output cannot be written where asked."""
    if path.is_dir():
        raise PredictionInputError(f"output {path} is a folder; give a file name")
    folder = path.parent
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise PredictionInputError(f"output folder {folder} cannot be written "
                                   f"({existing} is not a writable folder)")


def write_output(frame: pd.DataFrame, path: Path) -> None:
    """Atomic CSV write; a one-line error (and nothing left behind) when it fails."""
    try:
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False)
    except OSError as err:
        raise PredictionInputError(f"output {path} cannot be written: {err.strerror}") from None


def parse_n_rates(text: str | None) -> list[float] | None:
    """``"0,50,100"`` -> [0.0, 50.0, 100.0]; a one-line error for anything else."""
    if not text:
        return None
    try:
        rates = [float(v) for v in text.split(",")]
    except ValueError:
        raise PredictionInputError(f"--n-rates {text!r}: give comma-separated numbers of "
                                   "kg N/ha, e.g. 0,50,100,150") from None
    if any(not np.isfinite(r) or r < 0 or r > MAX_N_RATE for r in rates):
        raise PredictionInputError(f"--n-rates {text!r}: every rate must lie in "
                                   f"0-{MAX_N_RATE:g} kg N/ha")
    return rates


def predict_csv(model_path: str | Path, input_path: str | Path,
                output_path: str | Path, n_rates: list[float] | None = None) -> int:
    """Read, validate, predict and write (atomically). Returns the number of rows written.

    The model bundle (:mod:`kgfgnn.bundles`) decides the schema: the dose-response studies
    (columns of ``kensyn_n2o_dose_response.csv``, 90 % intervals, digital twin) or the Carey
    data (``fertilizer``, ``carbon``, ``n.input``; 90 % split-conformal intervals from its
    grouped-CV residuals; the approach chosen by grouped CV)."""
    model_path, input_path, output_path = Path(model_path), Path(input_path), Path(output_path)
    check_writable(output_path)
    try:
        bundle = load_bundle(model_path)
    except BundleError as err:
        raise PredictionInputError(str(err)) from None
    data_set = adapter(bundle["kind"])
    schema = data_set.schema
    other = CAREY if schema is DOSE_RESPONSE else DOSE_RESPONSE
    frame = read_input_csv(input_path, schema.text_columns())
    if not schema.matches(frame) and other.matches(frame):
        raise PredictionInputError(
            f"model {model_path} is for the {schema.name} schema ({', '.join(schema.required)}, "
            f"...); {input_path} has the {other.name} columns: use a model of that data set")
    try:
        valid = schema.validate(frame)
    except FieldInputError as err:
        raise PredictionInputError(f"input file {input_path}: {err}") from None
    try:
        out = data_set.predict_rows(bundle, valid, n_rates)
    except BundleError as err:  # the model cannot predict (e.g. written by an older version)
        raise PredictionInputError(f"model file {model_path} {err}") from None
    except FieldInputError as err:
        raise PredictionInputError(f"input file {input_path}: {err}") from None
    write_output(out, output_path)
    return len(out)
