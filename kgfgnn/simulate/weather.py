"""Seeded stochastic daily weather from monthly normals (a WGEN-type generator).

- Wet days: first-order two-state Markov chain per month. The unconditional wet-day
  probability is ``rd0 / days``; the transitions follow Geng, Penning de Vries & Supit (1986,
  Agric. For. Meteorol. 36:363-376): P(W|D) = 0.75 p, P(W|W) = 0.25 + P(W|D), which keeps p
  as the stationary probability.
- Amounts: gamma distributed with mean ``pre / rd0`` per wet day; scale from Geng et al.
  (1986): beta = -2.16 + 1.83 mean (mm), bounded so that the shape stays in [0.5, 2.5].
- Temperature: daily means interpolated between mid-month normals of ``tmx`` and ``tmn``,
  plus AR(1) residuals (lag-1 autocorrelation 0.6, cross-correlation 0.5, SD 2.5 degC for the
  maximum and 2.0 degC for the minimum: values typical of Richardson 1981, Water Resour.
  Res. 17:182; Richardson & Wright 1984, USDA ARS-8). Wet days are cooler by 10 % of the
  diurnal range (dry days warmer so that the monthly mean is kept).
- Radiation: Angstrom-Prescott, Rs = (0.25 + 0.50 n/N) Ra (FAO-56, Allen et al. 1998, eq. 35,
  extraterrestrial Ra from eq. 21), with relative sunshine n/N from ``sun``; a wet day gets
  half the month's relative sunshine and a dry day the remainder (capped at 1).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from kgfgnn.simulate.climate import DAYS_IN_MONTH, extraterrestrial_radiation, monthly

AR_LAG1 = 0.6
AR_CROSS = 0.5
SD_TMAX_C = 2.5
SD_TMIN_C = 2.0
WET_COOLING_OF_DTR = 0.10
ANGSTROM_A, ANGSTROM_B = 0.25, 0.50


def _interpolate_monthly(values: np.ndarray, dates: pd.DatetimeIndex) -> np.ndarray:
    """Linear interpolation between mid-month values, cyclic over the year."""
    mid = np.cumsum(DAYS_IN_MONTH) - DAYS_IN_MONTH / 2
    x = np.concatenate([mid - 365, mid, mid + 365])
    y = np.tile(values, 3)
    return np.interp(dates.day_of_year.to_numpy(dtype=float) - 0.5, x, y)


def generate_weather(normals: pd.Series, start: date, n_days: int,
                     rng: np.random.Generator) -> pd.DataFrame:
    """Daily ``date, srad (MJ/m2/d), tmax, tmin (degC), rain (mm)`` from ``start`` on."""
    if n_days < 1:
        raise ValueError(f"n_days={n_days}: must be >= 1")
    dates = pd.date_range(start, periods=n_days, freq="D")
    month = dates.month.to_numpy() - 1
    p_wet = np.clip(monthly(normals, "rd0") / DAYS_IN_MONTH, 0.0, 0.95)[month]
    pre, rd0 = monthly(normals, "pre"), monthly(normals, "rd0")
    mean_amount = np.where(rd0 > 0, pre / np.maximum(rd0, 1e-9), 0.0)[month]

    p_wd = 0.75 * p_wet
    p_ww = 0.25 + p_wd
    u = rng.random(n_days)
    wet = np.zeros(n_days, dtype=bool)
    previous = u[0] < p_wet[0]
    for t in range(n_days):
        wet[t] = u[t] < (p_ww[t] if previous else p_wd[t])
        previous = wet[t]
    scale = np.clip(-2.16 + 1.83 * mean_amount, mean_amount / 2.5, mean_amount / 0.5)
    shape = np.divide(mean_amount, scale, out=np.ones_like(scale), where=scale > 0)
    amounts = rng.gamma(shape, np.where(scale > 0, scale, 1.0))
    rain = np.where(wet & (mean_amount > 0), amounts, 0.0)

    eps = rng.standard_normal((n_days, 2))
    eps[:, 1] = AR_CROSS * eps[:, 0] + np.sqrt(1 - AR_CROSS**2) * eps[:, 1]
    resid = np.empty_like(eps)
    resid[0] = eps[0]
    innovation = np.sqrt(1 - AR_LAG1**2)
    for t in range(1, n_days):
        resid[t] = AR_LAG1 * resid[t - 1] + innovation * eps[t]
    tmx = _interpolate_monthly(monthly(normals, "tmx"), dates)
    tmn = _interpolate_monthly(monthly(normals, "tmn"), dates)
    shift = WET_COOLING_OF_DTR * (tmx - tmn)
    pw = np.clip(p_wet, 0, 0.95)
    tmax = tmx + np.where(wet, -shift, shift * pw / (1 - pw)) + SD_TMAX_C * resid[:, 0]
    tmin = tmn + SD_TMIN_C * resid[:, 1]
    tmin = np.minimum(tmin, tmax - 0.5)

    sun = np.clip(_interpolate_monthly(monthly(normals, "sun"), dates) / 100, 0.0, 1.0)
    sun_dry = np.minimum(1.0, sun * (1 - 0.5 * pw) / (1 - pw))
    rel_sun = np.where(wet, 0.5 * sun, sun_dry)
    ra = extraterrestrial_radiation(float(normals["lat_deg"]), dates.day_of_year.to_numpy())
    srad = np.maximum((ANGSTROM_A + ANGSTROM_B * rel_sun) * ra, 0.5)
    return pd.DataFrame({
        "date": dates.date, "srad": srad.round(2), "tmax": tmax.round(1),
        "tmin": tmin.round(1), "rain": rain.round(1),
    })


def weather_window(planting: date, days_before: int, days_after: int) -> tuple[date, int]:
    """Start date and length of the weather series around a planting date."""
    return planting - timedelta(days=days_before), days_before + days_after
