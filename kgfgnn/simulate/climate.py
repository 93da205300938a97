"""CRU CL 2.0 station climate normals (New et al. 2002), a Koppen climate-zone label, and the
IPCC 2019 climate classes (wet/dry, from precipitation and potential evapotranspiration)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn.paths import data_file

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
    frame = pd.read_csv(data_file(CLIMATE_FILE), keep_default_na=False,
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


MID_MONTH_DOY = np.cumsum(DAYS_IN_MONTH) - DAYS_IN_MONTH / 2
SOLAR_CONSTANT = 0.0820  # MJ m-2 min-1 (FAO-56)
# IPCC 2006 Vol. 4 ch. 3, Annex 3A.5 (kept in the 2019 Refinement): tropical where the mean
# annual temperature exceeds 18 degC.
IPCC_TROPICAL_MAT_C = 18.0
IPCC_TROPICAL_WET_PRECIP_MM = 1000.0  # IPCC 2019 Vol. 4 Table 11.1, footnote on wet/dry
# UNEP (1992) aridity index P/PET: below 0.5 = semi-arid or drier, where rain-fed cropping
# fails in most years and field crops are irrigated (FAO Irrigation and Drainage Paper 56,
# ch. 1; Middleton & Thomas 1997, World Atlas of Desertification).
IRRIGATION_ARIDITY_INDEX = 0.5


def extraterrestrial_radiation(lat_deg: float, doy: np.ndarray) -> np.ndarray:
    """Daily extraterrestrial radiation Ra, MJ m-2 d-1 (FAO-56 eqs. 21-25)."""
    phi = np.deg2rad(lat_deg)
    dr = 1 + 0.033 * np.cos(2 * np.pi * doy / 365)
    decl = 0.409 * np.sin(2 * np.pi * doy / 365 - 1.39)
    ws = np.arccos(np.clip(-np.tan(phi) * np.tan(decl), -1.0, 1.0))
    return (24 * 60 / np.pi) * SOLAR_CONSTANT * dr * (
        ws * np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.sin(ws)
    )


def potential_evapotranspiration_mm(normals: pd.Series) -> float:
    """Annual reference evapotranspiration (mm) by Hargreaves & Samani (1985), FAO-56 eq. 52:
    ET0 = 0.0023 (Tmean + 17.8) (Tmax - Tmin)^0.5 x 0.408 Ra, per day, summed over months."""
    tmean, tmax, tmin = (monthly(normals, v) for v in ("tmp", "tmx", "tmn"))
    ra = extraterrestrial_radiation(float(normals["lat_deg"]), MID_MONTH_DOY)
    daily = 0.0023 * (tmean + 17.8) * np.sqrt(np.clip(tmax - tmin, 0, None)) * 0.408 * ra
    return float((np.clip(daily, 0, None) * DAYS_IN_MONTH).sum())


def aridity_index(normals: pd.Series) -> float:
    """Annual precipitation / potential evapotranspiration (UNEP 1992)."""
    return float(monthly(normals, "pre").sum() / max(potential_evapotranspiration_mm(normals),
                                                     1.0))


def ipcc_climate(normals: pd.Series) -> str:
    """IPCC 2019 (Vol. 4 Table 11.1) moisture class for disaggregated EF1: ``"wet"`` or
    ``"dry"``. Temperate and boreal: wet where annual precipitation exceeds potential
    evapotranspiration; tropical (mean annual temperature > 18 degC): wet above 1,000 mm."""
    if monthly(normals, "tmp").mean() > IPCC_TROPICAL_MAT_C:
        wet = monthly(normals, "pre").sum() > IPCC_TROPICAL_WET_PRECIP_MM
    else:
        wet = aridity_index(normals) > 1.0
    return "wet" if wet else "dry"


def needs_irrigation(normals: pd.Series) -> bool:
    """Field crops are irrigated where the aridity index is below 0.5 (semi-arid or drier)."""
    return aridity_index(normals) < IRRIGATION_ARIDITY_INDEX
