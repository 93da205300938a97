"""Plan and execute the simulation design: local processes by default, Dask when asked."""

from __future__ import annotations

import multiprocessing as mp
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from kgfgnn.simulate.batch import run_scenarios
from kgfgnn.simulate.climate import load_station_normals, needs_irrigation
from kgfgnn.simulate.design import (
    Scenario,
    Site,
    application_days,
    candidate_sites,
    check_ghg_method,
    check_n_rates,
    choose_countries,
    cultivar,
    main_crops,
    management_blocks,
    planting_date,
    select_sites,
)
from kgfgnn.simulate.season import (
    WEATHER_DAYS_AFTER_PLANTING,
    WEATHER_DAYS_BEFORE_PLANTING,
)
from kgfgnn.simulate.soils import SoilSpec, soil_profiles
from kgfgnn.simulate.weather import generate_weather, weather_window

BASE_YEAR = 2001


@dataclass(frozen=True)
class SimulationConfig:
    """The simulation design; every random choice derives from ``seed``."""

    n_countries: int = 47
    countries: tuple[str, ...] = ()
    sites_per_country: int = 2
    crops_per_site: int = 2
    blocks_per_crop: int = 2
    n_rates: tuple[float, ...] = (0, 100, 200)
    years: int = 1
    daily_window_days: int = 30
    seed: int = 0
    ghg_method: str = "daycent"

    def __post_init__(self):
        check_n_rates(list(self.n_rates))
        check_ghg_method(self.ghg_method)
        for name, low in (("n_countries", 1), ("sites_per_country", 1), ("crops_per_site", 1),
                          ("blocks_per_crop", 1), ("years", 1), ("daily_window_days", 1)):
            if getattr(self, name) < low:
                raise ValueError(f"{name}={getattr(self, name)}: must be >= {low}")
        if not self.n_rates:
            raise ValueError("n_rates=(): give at least one N rate")


@dataclass
class Group:
    """Seasons sharing one site, crop and weather year (one unit of parallel work)."""

    site: Site
    soil: SoilSpec
    normals: pd.Series
    weather_seed: tuple[int, ...]
    scenarios: list[Scenario] = field(default_factory=list)


def stable_hash(text: str) -> int:
    """A process-independent 32-bit hash (Python's ``hash`` is salted per process)."""
    return zlib.crc32(text.encode())


def plan(config: SimulationConfig, stations: pd.DataFrame | None = None,
         soils: dict[str, SoilSpec] | None = None) -> list[Group]:
    """Expand the design into groups of scenarios; validates everything before any run."""
    stations = load_station_normals() if stations is None else stations
    soils = soil_profiles() if soils is None else soils
    candidates = candidate_sites(stations, soils)
    countries = list(config.countries) or choose_countries(candidates, config.n_countries)
    rng = np.random.default_rng(config.seed)
    sites = select_sites(candidates, countries, config.sites_per_country, rng)
    normals_by_id = stations.set_index("station_id")
    groups = []
    for site in sites:
        normals = normals_by_id.loc[site.station_id]
        if isinstance(normals, pd.DataFrame):
            normals = normals.iloc[0]
        for crop in main_crops(normals)[: config.crops_per_site]:
            for year in range(config.years):
                group_key = [config.seed, stable_hash(site.site_id), year]
                block_rng = np.random.default_rng([*group_key, stable_hash(crop)])
                group = Group(site, soils[site.soil_id], normals, tuple(group_key))
                planting = planting_date(normals, crop, BASE_YEAR + year)
                blocks = management_blocks(crop, config.blocks_per_crop, block_rng,
                                           irrigate=needs_irrigation(normals))
                for b, block in enumerate(blocks):
                    days = application_days(crop, block["splits"], normals, planting)
                    for rate in config.n_rates:
                        sim_id = f"{site.site_id}|{crop}|y{year}|b{b}|n{int(rate)}"
                        group.scenarios.append(Scenario(
                            sim_id=sim_id, site_id=site.site_id, crop=crop, year_index=year,
                            block=b, planting=planting, n_rate_kg_ha=float(rate),
                            cultivar=cultivar(normals, crop), application_days=days,
                            ghg_method=config.ghg_method, **block))
                groups.append(group)
    return groups


def group_weather(group: Group) -> pd.DataFrame:
    """The group's seeded daily weather, covering all of its seasons."""
    first = min(s.planting for s in group.scenarios)
    start, n_days = weather_window(first, WEATHER_DAYS_BEFORE_PLANTING,
                                   WEATHER_DAYS_AFTER_PLANTING)
    return generate_weather(group.normals, start, n_days,
                            np.random.default_rng(list(group.weather_seed)))


def run_group(group: Group, daily_window_days: int) -> tuple[list[dict], list[pd.DataFrame]]:
    """Run every scenario of a group on one weather series (executes in a worker)."""
    weather = group_weather(group)
    rows, daily = [], []
    for row, window in run_scenarios(group.scenarios, group.site, group.soil, weather,
                                     daily_window_days):
        rows.append(row)
        if window is not None:
            daily.append(window)
    return rows, daily


def map_local(fn: Callable, groups: list[Group], workers: int) -> Iterator:
    if workers == 1:
        for g in groups:
            yield fn(g)
        return
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["kgfgnn.simulate.batch"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(fn, g) for g in groups]
        for fut in as_completed(futures):
            yield fut.result()


def _dask_map(fn: Callable, groups: list[Group], scheduler: str) -> Iterator:
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(scheduler) as client:
        futures = client.map(fn, groups, pure=False)
        for fut in dask_completed(futures):
            yield fut.result()


def execute(groups: list[Group], daily_window_days: int, workers: int = 0,
            scheduler: str = "", progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run all groups; return (seasonal, daily) tables sorted by ``sim_id`` (deterministic)."""
    from functools import partial

    fn = partial(run_group, daily_window_days=daily_window_days)
    workers = workers or os.cpu_count() or 1
    results: Iterable = (_dask_map(fn, groups, scheduler) if scheduler
                         else map_local(fn, groups, workers))
    total = sum(len(g.scenarios) for g in groups)
    rows, daily = [], []
    with tqdm(total=total, desc="DSSAT seasons", disable=not progress, unit="run") as bar:
        for group_rows, group_daily in results:
            rows += group_rows
            daily += group_daily
            bar.update(len(group_rows))
    seasonal = pd.DataFrame(rows).sort_values("sim_id", ignore_index=True)
    daily_table = (pd.concat(daily, ignore_index=True) if daily else pd.DataFrame())
    if len(daily_table):
        daily_table = daily_table.sort_values(["sim_id", "application", "date"],
                                              ignore_index=True)
    return seasonal, daily_table
