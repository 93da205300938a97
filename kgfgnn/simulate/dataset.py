"""Simulate the study's dataset and store it as Parquet (the first artefact of the study)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from kgfgnn.atomic import write_json, write_parquet
from kgfgnn.simulate.climate import load_station_normals, monthly
from kgfgnn.simulate.execute import Group, SimulationConfig, execute, plan
from kgfgnn.simulate.schema import SEASONAL_SCHEMA
from kgfgnn.simulate.soils import soil_profiles

SEASONAL_FILE = "sim_seasonal.parquet"
DAILY_FILE = "sim_daily.parquet"
SITES_FILE = "sim_sites.parquet"


def site_table(groups: list[Group]) -> pd.DataFrame:
    """One row per site: station climate and topsoil properties."""
    rows = {}
    for g in groups:
        if g.site.site_id in rows:
            continue
        top = g.soil.topsoil(15.0)
        rows[g.site.site_id] = {
            "site_id": g.site.site_id, "iso2": g.site.iso2, "country": g.site.country,
            "zone": g.site.zone, "ipcc_climate": g.site.ipcc_climate,
            "aridity_index": g.site.aridity_index, "station_id": g.site.station_id,
            "station_distance_km": g.site.station_distance_km,
            "lat_deg": g.site.station_lat, "lon_deg": g.site.station_lon,
            "t_annual_c": float(monthly(g.normals, "tmp").mean()),
            "precip_annual_mm": float(monthly(g.normals, "pre").sum()),
            "soil_id": g.soil.source_id, "wrb_group": g.soil.wrb_group,
            "soil_oc_pct": top["oc_pct"], "soil_clay_pct": top["clay"],
            "soil_sand_pct": top["sand"], "soil_bd_g_cm3": top["bd"], "soil_ph": top["ph"],
            "soil_dul": top["dul"], "soil_ll": top["ll"], "soil_sat": top["sat"],
            "soil_ksat_cm_h": top["ksat_cm_h"],
        }
    return pd.DataFrame(list(rows.values())).round(4)


def with_site_columns(seasonal: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Add each season's site, soil and climate columns, in schema order."""
    site_cols = [c for c in sites.columns if c in SEASONAL_SCHEMA and c != "site_id"]
    seasonal = seasonal.merge(sites[["site_id", *site_cols]], on="site_id", how="left")
    ordered = [c for c in SEASONAL_SCHEMA if c in seasonal.columns]
    return seasonal[ordered + [c for c in seasonal.columns if c not in ordered]]


def simulate_dataset(config: SimulationConfig, out_dir: str | Path, workers: int = 0,
                     scheduler: str = "", progress: bool = True) -> dict[str, pd.DataFrame]:
    """Plan, run and write ``sim_seasonal``, ``sim_daily`` and ``sim_sites`` Parquet files."""
    out_dir = Path(out_dir)
    groups = plan(config, load_station_normals(), soil_profiles())
    seasonal, daily = execute(groups, config.daily_window_days, workers, scheduler, progress)
    sites = site_table(groups)
    seasonal = with_site_columns(seasonal, sites)
    write_parquet(seasonal, out_dir / SEASONAL_FILE)
    write_parquet(daily, out_dir / DAILY_FILE)
    write_parquet(sites, out_dir / SITES_FILE)
    write_json({"config": asdict(config), "n_simulations": len(seasonal),
                "status_counts": seasonal["status"].value_counts().to_dict()},
               out_dir / "sim_manifest.json")
    return {"seasonal": seasonal, "daily": daily, "sites": sites}


def load_seasonal(artefact_dir: str | Path, usable_only: bool = True) -> pd.DataFrame:
    """The seasonal table; by default only seasons with model outputs (not model errors)."""
    path = Path(artefact_dir) / SEASONAL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run notebook 01_simulation first")
    frame = pd.read_parquet(path)
    return frame[frame["status"] != "model_error"].reset_index(drop=True) if usable_only \
        else frame


SITE_YEAR = ("site_id", "crop", "year_index", "block")
"""A site-year: every N rate of one site, crop, weather year and management block."""


def ipcc_class(frame: pd.DataFrame) -> pd.Series:
    """IPCC 2019 EF1 class of each row: flooded rice, dry or wet climate."""
    return pd.Series(np.select([frame.flooded.astype(bool), frame.ipcc_climate == "dry"],
                               ["flooded rice", "dry climate"], "wet climate"),
                     index=frame.index)


def emission_factors(seasonal: pd.DataFrame) -> pd.DataFrame:
    """N2O emission factor of each fertilised season against its zero-N control (%).

    EF = (N2O-N fertilised - N2O-N control) / N applied x 100, the control being the 0 kg N/ha
    season of the same site, crop, weather year and management block (IPCC 2019 Tier 1
    definition of EF1, Hergoualc'h et al. 2019, 2019 Refinement Vol. 4 ch. 11).
    """
    keys = list(SITE_YEAR)
    usable = seasonal[seasonal.status != "model_error"]
    control = usable[usable.n_rate_kg_ha == 0][[*keys, "n2o_kg_n_ha_yr"]].rename(
        columns={"n2o_kg_n_ha_yr": "n2o_control_kg_n_ha"})
    fert = usable[usable.n_rate_kg_ha > 0].merge(control, on=keys, how="inner")
    fert["ef_pct"] = 100 * (fert.n2o_kg_n_ha_yr - fert.n2o_control_kg_n_ha) / fert.n_rate_kg_ha
    fert["ipcc_class"] = ipcc_class(fert)
    return fert
