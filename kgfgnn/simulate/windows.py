"""N2O-N over a measurement window, from the cumulative totals each simulated season records.

Field studies report N2O as a total over the days they measured (the dose-response data's
``duree_expe``: 5 to 1,095 days), not as an annual rate. Every simulated season records the
cumulative N2O-N emitted (and the part produced by nitrification) over the first ``L`` days
from the window start (first N application, else planting) for each ``L`` of
:data:`WINDOW_DAYS`; :func:`window_total` interpolates linearly between them and adds whole
crop years for windows longer than a year (the crop year read as cyclic, as the next year of
the same rotation would repeat it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOW_DAYS: tuple[int, ...] = (15, 30, 45, 60, 90, 120, 150, 180, 240, 300, 365)
YEAR_DAYS = 365
MAX_WINDOW_DAYS = 3 * YEAR_DAYS  # the longest window the study accepts (three years)


def emitted_column(days: int) -> str:
    """Column of the cumulative N2O-N emitted over the first ``days`` days."""
    return f"n2o_w{days:03d}_kg_n_ha"


def nitrification_column(days: int) -> str:
    """Column of the cumulative N2O-N produced by nitrification over the first ``days``."""
    return f"n2o_nit_w{days:03d}_kg_n_ha"


def _interpolated(cumulative: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation of cumulative totals (0 at day 0) at ``days``."""
    grid = np.array((0, *WINDOW_DAYS), dtype=float)
    values = np.column_stack([np.zeros(len(cumulative)), cumulative])
    full, rest = np.divmod(days, YEAR_DAYS)
    idx = np.clip(np.searchsorted(grid, rest, side="right") - 1, 0, len(grid) - 2)
    frac = (rest - grid[idx]) / (grid[idx + 1] - grid[idx])
    rows = np.arange(len(values))
    part = values[rows, idx] + frac * (values[rows, idx + 1] - values[rows, idx])
    return full * values[:, -1] + part


def window_total(seasons: pd.DataFrame, days, nitrification_multiplier: float = 1.0
                 ) -> np.ndarray:
    """N2O-N (kg N/ha) emitted over ``days`` (scalar or one per row) from the window start.

    ``nitrification_multiplier`` rescales the N2O that nitrification produces (DSSAT-CSM's
    share of nitrified N emitted as N2O, a constant of the binary) after the run: the window's
    N2O becomes emitted + (multiplier - 1) x nitrification N2O, which assumes that N2O from
    nitrification escapes as it is produced (as in DayCent, Parton et al. 2001)."""
    days = np.broadcast_to(np.asarray(days, dtype=float), (len(seasons),)).copy()
    if np.any(~np.isfinite(days)) or np.any(days <= 0) or np.any(days > MAX_WINDOW_DAYS):
        raise ValueError(f"days: every window must lie in (0, {MAX_WINDOW_DAYS}] days")
    if not np.isfinite(nitrification_multiplier) or nitrification_multiplier < 0:
        raise ValueError("nitrification_multiplier: must be a finite number >= 0, "
                         f"got {nitrification_multiplier}")
    emitted = seasons[[emitted_column(d) for d in WINDOW_DAYS]].to_numpy(dtype=float)
    total = _interpolated(emitted, days)
    if nitrification_multiplier != 1.0:
        nitrif = seasons[[nitrification_column(d) for d in WINDOW_DAYS]].to_numpy(dtype=float)
        total = total + (nitrification_multiplier - 1.0) * _interpolated(nitrif, days)
    return np.maximum(total, 0.0)


def window_nitrification(seasons: pd.DataFrame, days) -> np.ndarray:
    """N2O-N (kg N/ha) produced by nitrification over ``days`` from the window start."""
    days = np.broadcast_to(np.asarray(days, dtype=float), (len(seasons),)).copy()
    nitrif = seasons[[nitrification_column(d) for d in WINDOW_DAYS]].to_numpy(dtype=float)
    return _interpolated(nitrif, days)
