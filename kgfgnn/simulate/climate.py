"""CRU CL 2.0 station climate normals (New et al. 2002) and a simple climate-zone label."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn.paths import shared_file

CLIMATE_FILE = "climate/cru_cl2_station_normals.csv.gz"
MONTHS = [f"m{m:02d}" for m in range(1, 13)]
REQUIRED_VARIABLES = ("tmp", "tmn", "tmx", "pre", "rd0", "sun")
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)


def monthly(normals: pd.Series | pd.DataFrame, var: str) -> np.ndarray:
    """The 12 monthly values of one variable (array of shape (12,) or (n, 12))."""
    return np.asarray(normals[[f"{var}_{m}" for m in MONTHS]], dtype=float)


def check_climate_columns(frame: pd.DataFrame) -> None:
    """Raise a ValueError naming every missing monthly column the simulation needs."""
    needed = [f"{v}_{m}" for v in REQUIRED_VARIABLES for m in MONTHS]
    needed += ["station_id", "lat_deg", "lon_deg", "iso2"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"climate normals lack required column(s): {missing[:12]}"
                         f"{' ...' if len(missing) > 12 else ''}")


def load_station_normals() -> pd.DataFrame:
    """Stations with complete monthly temperature, precipitation, wet days and sunshine."""
    frame = pd.read_csv(shared_file(CLIMATE_FILE), keep_default_na=False,
                        na_values=["", "NA"])
    check_climate_columns(frame)
    cols = [f"{v}_{m}" for v in REQUIRED_VARIABLES for m in MONTHS]
    frame = frame.dropna(subset=[*cols, "lat_deg", "lon_deg"])
    frame = frame[frame["iso2"].astype(str).str.len() == 2]
    frame["elev_m"] = frame["elev_m"].fillna(0.0)
    return frame.reset_index(drop=True)


def climate_zone(normals: pd.Series) -> str:
    """Main Köppen-Geiger group from monthly normals (Kottek et al. 2006, Meteorol. Z. 15:259).

    Arid (B) when annual precipitation is below ``10 * P_th`` with P_th = 2T + 14 (2T + 28
    with a summer maximum, 2T with a winter maximum); otherwise by temperature: tropical (A)
    when the coldest month is >= 18 degC, polar (E) when the warmest is < 10 degC, cold (D)
    when the coldest is <= -3 degC, else temperate (C).
    """
    tmp, pre = monthly(normals, "tmp"), monthly(normals, "pre")
    t_ann, p_ann = tmp.mean(), pre.sum()
    north = float(normals["lat_deg"]) >= 0
    summer = [3, 4, 5, 6, 7, 8] if north else [9, 10, 11, 0, 1, 2]
    p_summer = pre[summer].sum()
    if p_summer >= 2 / 3 * p_ann:
        p_th = 2 * t_ann + 28
    elif p_summer <= 1 / 3 * p_ann:
        p_th = 2 * t_ann
    else:
        p_th = 2 * t_ann + 14
    if p_ann < 10 * p_th:
        return "arid"
    if tmp.min() >= 18:
        return "tropical"
    if tmp.max() < 10:
        return "polar"
    if tmp.min() <= -3:
        return "cold"
    return "temperate"
