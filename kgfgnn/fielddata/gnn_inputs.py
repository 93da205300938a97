"""The inputs of KG-FGNN on the dose-response studies, without torch: the study's conditions
in the simulation's driver variables, the recorded variables that carry field knowledge
edges, the measurement's context, and the simulated windows that pretraining uses.
:mod:`kgfgnn.fielddata.knowledge_gnn` builds the network on them; reading a study's inputs
(``predict``, the schema) needs none of it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn.fielddata.design import LN_WINDOW, design_matrix
from kgfgnn.fielddata.dose_response import TEXTURE_CLASSES, twin_conditions
from kgfgnn.knowledge import (
    FIELD_KNOWLEDGE_EDGES,
    FIELD_VARIABLES,
    KNOWLEDGE_EDGES,
)
from kgfgnn.simulate.windows import MAX_WINDOW_DAYS, window_total
from kgfgnn.variables import CANDIDATES, CROPS, N_FORM_COLUMNS, feature_frame, n_form_fractions

OBSERVED = ("n_rate_kg_ha", *N_FORM_COLUMNS, "splits", "placement_depth_cm", "irrigated",
            "flooded", *(f"crop_{c}" for c in CROPS), "t_annual_c", "precip_annual_mm",
            "soil_oc_pct", "soil_clay_pct", "soil_sand_pct", "soil_bd_g_cm3")
FIELD_NETWORK_EDGES = KNOWLEDGE_EDGES + FIELD_KNOWLEDGE_EDGES
UNIVERSE = (*CANDIDATES, *FIELD_VARIABLES)
# design columns already carried by a simulation-space or field-variable node
REPRESENTED = ("Carbon_content", "Nitrogen_content", "pH", "Bulk_density",
               "Annual_Precipitation", "Mean_annual_temp", "Timing_of_application", "N_rate",
               "duree_expe", LN_WINDOW, "Drainage=p")
# Floor of N2O before the log: the smallest N2O-N total measured in the dose-response
# studies (0.003 kg N/ha), so the simulated and measured logs share a range.
N2O_FLOOR_KG_N_HA = 0.003
SHORTEST_WINDOW_DAYS = 5


def simulation_space(frame: pd.DataFrame) -> pd.DataFrame:
    """Dose-response rows as the simulation's driver variables (NaN where not recorded)."""
    cond = twin_conditions(frame)
    sand_clay = cond["texture"].map(TEXTURE_CLASSES)
    out = pd.concat([
        cond[["n_rate_kg_ha"]],
        n_form_fractions(cond["fertiliser"], cond["n_rate_kg_ha"]),
        cond[["splits", "placement_depth_cm"]].astype(float),
        cond["irrigated"].astype(float).rename("irrigated"),
        cond["crop"].eq("rice").astype(float).rename("flooded"),
        pd.DataFrame({f"crop_{c}": cond["crop"].eq(c).astype(float) for c in CROPS}),
        cond[["t_annual_c", "precip_annual_mm", "soil_oc_pct"]],
        sand_clay.map(lambda v: v[1]).astype(float).rename("soil_clay_pct"),
        sand_clay.map(lambda v: v[0]).astype(float).rename("soil_sand_pct"),
        cond[["soil_bd_g_cm3"]],
    ], axis=1)
    return out[list(OBSERVED)].astype(float)


NODE_COLUMNS = (*OBSERVED, *FIELD_VARIABLES)  # graph nodes; the other columns are context


def gnn_design(frame: pd.DataFrame) -> pd.DataFrame:
    """The network's inputs for field rows (NaN where not recorded): the graph's node
    variables (:data:`NODE_COLUMNS`), then the measurement's context (codes, frequency,
    empty-cell indicators), which enters the readout, not the process graph."""
    design = design_matrix(frame)
    field = pd.DataFrame({
        "ln_window_days": design[LN_WINDOW], "poorly_drained": design["Drainage=p"],
        "soil_ph": frame["pH"].astype(float), "soil_n_pct": frame["Nitrogen_content"]
        .astype(float)}, index=frame.index)
    rest = design.drop(columns=list(REPRESENTED))
    return pd.concat([simulation_space(frame), field[list(FIELD_VARIABLES)], rest], axis=1)


def simulated_windows(seasonal: pd.DataFrame, columns: list[str], n: int, seed: int
                      ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``n`` simulated examples in the columns of :func:`gnn_design`: a seeded sample of crop
    years, each with a window of log-uniform length (5 days to three years) from its first N
    application; target ln N2O-N over the window (floored). Columns the simulation does not
    have (codes of measured data only, soil N) are constant. Returns X, y, site of each row."""
    ok = seasonal[seasonal["n2o_kg_n_ha_yr"].notna()].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(ok), size=n, replace=len(ok) < n)
    part = ok.iloc[np.sort(rows)].reset_index(drop=True)
    days = np.round(np.exp(rng.uniform(np.log(SHORTEST_WINDOW_DAYS), np.log(MAX_WINDOW_DAYS),
                                       size=len(part))))
    X = pd.DataFrame(0.0, index=part.index, columns=columns)
    X[list(OBSERVED)] = feature_frame(part)[list(OBSERVED)].to_numpy()
    X["ln_window_days"] = np.log(days)
    ph = part["soil_ph"].astype(float)
    X["soil_ph"] = ph.fillna(ph.median()).fillna(0.0).to_numpy()
    y = np.log(np.maximum(window_total(part, days), N2O_FLOOR_KG_N_HA))
    return X, y, part["site_id"].astype(str).to_numpy()


def context_columns(columns, nodes: tuple[str, ...] = NODE_COLUMNS) -> tuple[str, ...]:
    """The inputs that are not graph nodes."""
    return tuple(c for c in columns if c not in nodes)


def with_latent(features: pd.DataFrame, latent: list[str]) -> pd.DataFrame:
    """Add the latent pathway nodes as constant-zero columns."""
    return features.assign(**{name: 0.0 for name in latent})
