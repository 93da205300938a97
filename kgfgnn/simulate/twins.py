"""Digital twins: DSSAT-CSM runs under the conditions a measured field study records.

For each study (and each row given to ``predict``) the twin

- takes its weather from the ``n_stations`` CRU CL 2.0 stations whose annual mean
  temperature and precipitation are closest to the study's (recorded values, else its climate
  class; distance in units of 5 degC and of a factor 1.5 in precipitation), one generated
  weather year per station, so the twin spans several climates-alike years;
- builds a soil profile from the recorded texture class (representative sand and clay of the
  class), topsoil organic C (else the median of the studies of the same texture class), pH
  and bulk density (else Saxton & Rawls 2006), organic C below the topsoil following the
  median depth profile of the ISIS reference profiles, and the recorded drainage (poorly
  drained: DSSAT drainage rate 0.05/d, the SBuild "poorly drained" class; otherwise the
  texture default);
- simulates the nearest DSSAT crop, the fertiliser form, placement, number of splits and
  every N rate of the study plus a zero-N control, as 365-day crop years with DayCent
  denitrification (the study's simulation settings).

Output per treatment: the twin's annual N2O-N (mean over the stations) and its emission
factor against the twin's own zero-N control.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from kgfgnn.paths import data_dir
from kgfgnn.simulate.climate import (
    climate_zone,
    load_station_normals,
    monthly,
    needs_irrigation,
)
from kgfgnn.simulate.design import Scenario, Site, application_days, cultivar, planting_date
from kgfgnn.simulate.execute import BASE_YEAR, Group, execute, stable_hash
from kgfgnn.simulate.soils import (
    OM_PER_OC,
    TEXTURE_CLASSES,
    SoilSpec,
    saxton_rawls,
    soil_profiles,
)
from kgfgnn.simulate.windows import window_nitrification, window_total

LAYER_BOTTOMS_CM = (5.0, 15.0, 30.0, 60.0, 100.0, 150.0)
POORLY_DRAINED_SLDR = 0.05  # DSSAT SBuild drainage class "poorly drained" (fraction/day)
TEMPERATURE_SCALE_C = 5.0
PRECIP_LOG_SCALE = float(np.log(1.5))
KEYS = ["Ref_num", "crop", "fertiliser", "placement_depth_cm", "splits", "irrigated"]


def oc_depth_ratios() -> tuple[float, ...]:
    """Median ratio of organic C at each twin layer's mid-depth to the topsoil's, over the
    ISIS reference profiles deep enough to have that layer (cached per data folder)."""
    return _oc_depth_ratios(data_dir())


@lru_cache(maxsize=4)
def _oc_depth_ratios(folder: Path) -> tuple[float, ...]:
    mids = (np.array(LAYER_BOTTOMS_CM) + np.array((0.0, *LAYER_BOTTOMS_CM[:-1]))) / 2
    ratios = []
    for spec in soil_profiles().values():
        layers = spec.layers
        top = float(layers.oc_pct.iloc[0])
        depth = layers.depth_cm.to_numpy()
        idx = np.minimum(np.searchsorted(depth, mids), len(layers) - 1)
        ratios.append(np.where(depth[-1] >= mids, layers.oc_pct.to_numpy()[idx] / top, np.nan))
    return tuple(float(r) for r in np.nanmedian(np.array(ratios), axis=0))


def _station_climate() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The station normals and their annual climate (cached per data folder)."""
    return _station_climate_in(data_dir())


@lru_cache(maxsize=4)
def _station_climate_in(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    stations = load_station_normals()
    climate = pd.DataFrame({
        "t": monthly(stations, "tmp").mean(axis=1),
        "log_p": np.log(np.maximum(monthly(stations, "pre").sum(axis=1), 1.0)),
    }, index=stations.index)
    return stations, climate


def matching_stations(t_annual_c: float, precip_annual_mm: float, n: int) -> pd.DataFrame:
    """The ``n`` stations closest in annual temperature and precipitation (ties by id)."""
    stations, climate = _station_climate()
    d = (((climate.t - t_annual_c) / TEMPERATURE_SCALE_C) ** 2
         + ((climate.log_p - np.log(precip_annual_mm)) / PRECIP_LOG_SCALE) ** 2)
    order = np.lexsort((stations.station_id.to_numpy(), d.to_numpy()))[:n]
    return stations.iloc[order]


def twin_soil(texture_sand_clay: tuple[float, float], oc_pct: float, ph: float, bd: float,
              poorly_drained: bool, name: str) -> SoilSpec:
    """A layered profile from texture, topsoil organic C, pH and bulk density."""
    sand, clay = texture_sand_clay
    oc = np.maximum(oc_pct * np.array(oc_depth_ratios()), 0.05)
    hyd = saxton_rawls(np.full(len(oc), sand), np.full(len(oc), clay), OM_PER_OC * oc)
    bulk = hyd["bd_normal"].copy()
    if np.isfinite(bd) and 0.8 <= bd <= 1.9:
        bulk[:2] = bd  # the recorded (topsoil) value for the top 15 cm
    bottoms = np.array(LAYER_BOTTOMS_CM)
    mids = (bottoms + np.concatenate([[0.0], bottoms[:-1]])) / 2
    layers = pd.DataFrame({
        "depth_cm": bottoms, "sand": sand, "clay": clay, "silt": 100 - sand - clay,
        "oc_pct": oc, "bd": bulk, "ll": hyd["ll"],
        "dul": np.maximum(hyd["dul"], hyd["ll"] + 0.02),
        "sat": np.maximum(hyd["sat"], hyd["dul"] + 0.03), "ksat_cm_h": hyd["ksat_cm_h"],
        "srgf": np.where(bottoms <= 15, 1.0, np.exp(-0.02 * mids)),
        "ph": np.full(len(oc), ph if np.isfinite(ph) else np.nan), "cec": np.nan,
    })
    return SoilSpec(name, "XX", 0.0, 0.0, "twin", layers.round(4),
                    drainage=POORLY_DRAINED_SLDR if poorly_drained else None)


def _station_site(study: str, station: pd.Series) -> Site:
    return Site(site_id=f"twin-{study}-{station.station_id}", iso2=str(station.iso2),
                country=str(station.country), zone=climate_zone(station),
                station_id=str(station.station_id), station_lat=float(station.lat_deg),
                station_lon=float(station.lon_deg), station_elev_m=float(station.elev_m),
                station_distance_km=0.0, soil_id=study)


class TwinRunError(RuntimeError):
    """A row's digital twin could not be simulated; the message names the row."""


def fill_values(conditions: pd.DataFrame) -> dict:
    """The values that fill a twin's empty soil cells, from the rows given (the training
    studies): median topsoil organic C per texture class and over all rows."""
    oc = conditions.soil_oc_pct.astype(float)
    by_texture = oc.groupby(conditions.texture).median().dropna()
    overall = float(oc.median()) if oc.notna().any() else np.nan
    if not np.isfinite(overall):
        raise ValueError("conditions: no row records soil organic C (soil_oc_pct); fill values "
                         "need at least one")
    return {"oc_by_texture": {str(k): float(v) for k, v in by_texture.items()},
            "oc_overall": overall}


def _topsoil_oc(first: pd.Series, fill: dict) -> float:
    if np.isfinite(first.soil_oc_pct):
        return float(first.soil_oc_pct)
    return float(fill["oc_by_texture"].get(str(first.texture), fill["oc_overall"]))


def plan_twins(conditions: pd.DataFrame, n_stations: int = 3, seed: int = 0,
               fill: dict | None = None) -> list[Group]:
    """One group per (study, treatment set, station): every N rate of the study and 0 N.

    Empty organic C takes ``fill`` (:func:`fill_values` of the training studies, stored with a
    model); without it, the values of ``conditions`` themselves."""
    fill = fill if fill is not None else fill_values(conditions)
    groups = []
    for key, part in conditions.groupby(KEYS, sort=True, dropna=False):
        study, crop, fert, depth, splits, irrigated = key
        first = part.iloc[0]
        soil = twin_soil(TEXTURE_CLASSES[first.texture], _topsoil_oc(first, fill),
                         float(first.soil_ph), float(first.soil_bd_g_cm3),
                         bool(first.poorly_drained), f"twin-{study}")
        rates = sorted({0.0, *part.n_rate_kg_ha.astype(float)})
        stations = matching_stations(float(first.t_annual_c), float(first.precip_annual_mm),
                                     n_stations)
        for _, station in stations.iterrows():
            site = _station_site(str(study), station)
            planting = planting_date(station, crop, BASE_YEAR)
            days = application_days(crop, int(splits), station, planting)
            flooded = crop == "rice"
            block = {"fertiliser": str(fert), "splits": int(splits),
                     "placement_depth_cm": int(10 if flooded and depth == 5 else depth),
                     "tillage": False, "residue_kg_ha": 0.0,
                     "irrigated": bool(irrigated or flooded or needs_irrigation(station)),
                     "flooded": flooded}
            group = Group(site, soil, station,
                          (seed, stable_hash(f"{study}|{crop}|{fert}|{depth}|{splits}"),
                           stable_hash(str(station.station_id))))
            tag = f"{study}|{crop}|{fert}|{depth}|{splits}|{int(irrigated)}"
            group.scenarios = [Scenario(
                sim_id=f"{tag}|{station.station_id}|n{rate:g}", site_id=site.site_id,
                crop=crop, year_index=0, block=0, planting=planting, n_rate_kg_ha=rate,
                cultivar=cultivar(station, crop), application_days=days, **block)
                for rate in rates]
            groups.append(group)
    return groups


TWIN_COLUMNS = ("twin_n2o_kg_n_ha_yr", "twin_ef_pct", "twin_n2o_window_kg_n_ha",
                "twin_nit_window_kg_n_ha", "twin_control_window_kg_n_ha",
                "twin_control_nit_window_kg_n_ha", "twin_ef_window_pct", "twin_stations")


def run_twins(conditions: pd.DataFrame, n_stations: int = 3, seed: int = 0,
              workers: int = 0, scheduler: str = "", progress: bool = False,
              fill: dict | None = None) -> pd.DataFrame:
    """Per input row (means over the matching stations): the twin's annual N2O-N and EF, and
    over the row's measurement window (``window_days`` from the first N application, see
    :mod:`kgfgnn.simulate.windows`) the N2O-N emitted, its part from nitrification, the same
    two for the zero-N control, and the window EF (%). Rows whose twin failed at every
    station are NaN; ``attrs["model_errors"]`` counts failed seasons."""
    groups = plan_twins(conditions, n_stations, seed, fill)
    seasonal, _ = execute(groups, 1, workers, scheduler, progress)
    index = pd.MultiIndex.from_arrays([_tags(conditions),
                                       conditions.n_rate_kg_ha.astype(float)])
    usable = seasonal[seasonal.status != "model_error"] if "status" in seasonal else seasonal
    if usable.empty or "n2o_kg_n_ha_yr" not in usable:
        out = pd.DataFrame(np.nan, index=conditions.index, columns=list(TWIN_COLUMNS))
        out.attrs["model_errors"] = int(len(seasonal))
        return out
    parts = usable.sim_id.str.rsplit("|", n=2, expand=True)
    usable = usable.assign(treatment=parts[0].to_numpy(), station=parts[1].to_numpy(),
                           n_rate=usable.n_rate_kg_ha.astype(float))
    # every row's window, on every station's season of its treatment and N rate (and 0 N)
    rows = pd.DataFrame({"treatment": index.get_level_values(0),
                         "n_rate": index.get_level_values(1),
                         "window_days": conditions.window_days.to_numpy(dtype=float),
                         "row": np.arange(len(conditions))})
    both = pd.concat([rows.assign(control=False), rows.assign(n_rate=0.0, control=True)])
    runs = both.merge(usable, on=["treatment", "n_rate"], how="inner")
    days = runs.window_days.to_numpy()
    runs = runs.assign(window=window_total(runs, days), nit=window_nitrification(runs, days))
    per_row = runs.pivot_table(index="row", columns="control",
                               values=["window", "nit", "n2o_kg_n_ha_yr"], aggfunc="mean")
    n_st = runs[~runs.control].groupby("row").station.nunique()
    out = pd.DataFrame(index=np.arange(len(conditions)))
    out["twin_n2o_kg_n_ha_yr"] = per_row[("n2o_kg_n_ha_yr", False)]
    rate = rows.n_rate.where(rows.n_rate > 0)
    out["twin_ef_pct"] = 100 * (out.twin_n2o_kg_n_ha_yr - per_row[("n2o_kg_n_ha_yr", True)]) \
        / rate
    out["twin_n2o_window_kg_n_ha"] = per_row[("window", False)]
    out["twin_nit_window_kg_n_ha"] = per_row[("nit", False)]
    out["twin_control_window_kg_n_ha"] = per_row[("window", True)]
    out["twin_control_nit_window_kg_n_ha"] = per_row[("nit", True)]
    out["twin_ef_window_pct"] = 100 * (out.twin_n2o_window_kg_n_ha
                                       - out.twin_control_window_kg_n_ha) / rate
    out["twin_stations"] = n_st
    out = out.reindex(columns=list(TWIN_COLUMNS))
    out.index = conditions.index
    out.attrs["model_errors"] = int((seasonal.status == "model_error").sum())
    return out


def _tags(conditions: pd.DataFrame) -> pd.Series:
    return (conditions[KEYS[0]].astype(str) + "|" + conditions.crop + "|"
            + conditions.fertiliser + "|" + conditions.placement_depth_cm.astype(str) + "|"
            + conditions.splits.astype(str) + "|"
            + conditions.irrigated.astype(int).astype(str))


def window_twin_n2o(twin: pd.DataFrame, nitrification_multiplier: float = 1.0,
                    control: bool = False) -> pd.Series:
    """The twin's window N2O-N with DSSAT's nitrification N2O share rescaled after the run
    (emitted + (multiplier - 1) x nitrification N2O; see :func:`windows.window_total`)."""
    prefix = "twin_control" if control else "twin"
    return (twin[f"{prefix}_window_kg_n_ha" if control else "twin_n2o_window_kg_n_ha"]
            + (nitrification_multiplier - 1.0) * twin[f"{prefix}_nit_window_kg_n_ha"]
            ).clip(lower=0.0)
