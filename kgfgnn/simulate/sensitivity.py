"""One-at-a-time sensitivity of DSSAT-CSM: perturb one input, measure every response.

Used to check the hand-written knowledge edge list against the simulator itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from kgfgnn.simulate.batch import run_scenarios
from kgfgnn.simulate.execute import Group, group_weather, map_local

RESPONSES = {
    "nh4_mean_0_15_ppm": "nh4_mean_0_15_ppm", "no3_mean_0_15_ppm": "no3_mean_0_15_ppm",
    "wfps_mean_0_15": "wfps_mean_0_15", "soil_temp_mean_0_15_c": "soil_temp_mean_0_15_c",
    "soil_water_mean_0_15": "soil_water_mean_0_15", "n_mineralised_kg_ha": "n_mineralised_kg_ha",
    "n_uptake_kg_ha": "n_uptake_kg_ha", "biomass_kg_ha": "biomass_kg_ha",
    "no3_leached_kg_n_ha_yr": "no3_leached_kg_n_ha_yr", "drainage_mm": "drainage_mm",
    "nitrification": "nitrification_kg_n_ha", "denitrification": "denitrification_kg_n_ha",
    "n2o": "n2o_kg_n_ha_yr", "co2": "co2_kg_c_ha_yr", "ch4": "ch4_kg_c_ha_yr",
}
"""Knowledge-graph node -> seasonal column measured as the response."""


def _scale_soil_oc(soil, factor):
    layers = soil.layers.assign(oc_pct=soil.layers.oc_pct * factor)
    return dataclasses.replace(soil, layers=layers)


# perturbation name (= knowledge node of the driver) -> function of (scenario, soil, weather)
# returning the perturbed (scenario, soil, weather) and the signed change of the driver.
PERTURBATIONS: dict[str, Callable] = {
    "n_rate_kg_ha": lambda s, soil, w: (dataclasses.replace(
        s, n_rate_kg_ha=s.n_rate_kg_ha + 100), soil, w, 100.0),
    "n_no3_frac": lambda s, soil, w: (dataclasses.replace(
        s, fertiliser="calcium_nitrate"), soil, w, 1.0),
    "n_urea_frac": lambda s, soil, w: (dataclasses.replace(s, fertiliser="urea"), soil, w, 1.0),
    "placement_depth_cm": lambda s, soil, w: (dataclasses.replace(
        s, placement_depth_cm=10 if s.placement_depth_cm == 0 else 0), soil, w,
        10.0 if s.placement_depth_cm == 0 else -float(s.placement_depth_cm)),
    "residue_kg_ha": lambda s, soil, w: (dataclasses.replace(
        s, residue_kg_ha=3000.0 if s.residue_kg_ha == 0 else 0.0), soil, w,
        3000.0 if s.residue_kg_ha == 0 else -3000.0),
    "tillage": lambda s, soil, w: (dataclasses.replace(s, tillage=not s.tillage), soil, w,
                                   -1.0 if s.tillage else 1.0),
    "soil_oc_pct": lambda s, soil, w: (s, _scale_soil_oc(soil, 1.5), w, 0.5),
    "t_max_mean_c": lambda s, soil, w: (s, soil, w.assign(tmax=w.tmax + 2, tmin=w.tmin + 2),
                                        2.0),
    "precip_mm": lambda s, soil, w: (s, soil, w.assign(rain=(w.rain * 1.3).round(1)), 0.3),
}


def _run(task: tuple[Group, list[str]]) -> list[dict]:
    group, sim_ids = task
    weather = group_weather(group)
    rows = []
    for s in (x for x in group.scenarios if x.sim_id in sim_ids):
        perturbed = {name: perturb(s, group.soil, weather)
                     for name, perturb in PERTURBATIONS.items()}
        # management perturbations share soil and weather with the base: one batch
        same = [n for n, (_, soil2, w2, _) in perturbed.items()
                if soil2 is group.soil and w2 is weather]
        batch = run_scenarios([s, *(perturbed[n][0] for n in same)], group.site, group.soil,
                              weather, 1)
        base = batch[0][0]
        if base["status"] == "model_error":
            continue
        outs = {n: r for n, (r, _) in zip(same, batch[1:], strict=True)}
        for name, (s2, soil2, w2, _) in perturbed.items():
            if name not in outs:
                outs[name] = run_scenarios([s2], group.site, soil2, w2, 1)[0][0]
        for name, (_, _, _, delta) in perturbed.items():
            out = outs[name]
            if out["status"] == "model_error":
                continue
            for node, col in RESPONSES.items():
                rows.append({"sim_id": s.sim_id, "driver": name, "driver_delta": delta,
                             "response": node, "base": base[col], "perturbed": out[col]})
    return rows


def sensitivity_runs(groups: list[Group], seasonal: pd.DataFrame, n_cases: int, seed: int,
                     workers: int = 0) -> pd.DataFrame:
    """Perturb ``n_cases`` fertilised, successfully simulated seasons (drawn with ``seed``)."""
    import os

    pool = seasonal[(seasonal.status == "ok") & (seasonal.n_rate_kg_ha > 0)
                    & ~seasonal.flooded].sim_id
    rng = np.random.default_rng(seed)
    chosen = set(rng.choice(pool.to_numpy(), size=min(n_cases, len(pool)), replace=False))
    tasks = [(g, [s.sim_id for s in g.scenarios if s.sim_id in chosen]) for g in groups]
    tasks = [t for t in tasks if t[1]]
    rows = []
    for part in map_local(_run, tasks, workers or os.cpu_count() or 1):
        rows += part
    return pd.DataFrame(rows).sort_values(["sim_id", "driver", "response"], ignore_index=True)


def sensitivity_matrix(runs: pd.DataFrame, seasonal: pd.DataFrame) -> pd.DataFrame:
    """Mean response per unit of driver change, in standard deviations of the response
    across the simulated data set (drivers x responses)."""
    scale = {node: seasonal[col].std() or 1.0 for node, col in RESPONSES.items()}
    runs = runs.assign(effect=(runs.perturbed - runs.base) / runs.response.map(scale)
                       * np.sign(runs.driver_delta))
    return runs.pivot_table(index="driver", columns="response", values="effect",
                            aggfunc="mean").reindex(columns=list(RESPONSES))
