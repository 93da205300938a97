"""KG-FGNN on the dose-response studies: real-only, and pretrained on the simulation then
fine-tuned on the training studies.

Each study's recorded conditions are mapped onto the simulation's driver variables (the
readings of :func:`kgfgnn.fielddata.dose_response.twin_conditions`: N rate and form, splits,
placement, irrigation, flooding, crop, annual temperature and precipitation, topsoil organic C,
the texture class's sand and clay, bulk density). The graph is the N2O graph of the study:
those variables, the process variables on their knowledge pathway to N2O that field studies do
not record (latent nodes, value 0, carried by their learned embedding) and data edges from the
simulated crop years, so no measured value shapes it. The target is the natural log of N2O
(kg N2O-N/ha/yr) on both sides: measured ``log_N2O`` and the simulated annual N2O-N.
Empty cells (organic C, bulk density) take the median of the training rows.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import GroupShuffleSplit, ParameterSampler
from sklearn.utils.validation import check_is_fitted

from kgfgnn.fielddata.dose_response import TEXTURE_CLASSES, twin_conditions
from kgfgnn.graphs import GraphSpec, build_multigraph
from kgfgnn.realworld import latent_pathway_nodes, with_latent
from kgfgnn.train import KGFGNNRegressor
from kgfgnn.variables import CANDIDATES, CROPS, N_FORM_COLUMNS, feature_frame, n_form_fractions

OBSERVED = ("n_rate_kg_ha", *N_FORM_COLUMNS, "splits", "placement_depth_cm", "irrigated",
            "flooded", *(f"crop_{c}" for c in CROPS), "t_annual_c", "precip_annual_mm",
            "soil_oc_pct", "soil_clay_pct", "soil_sand_pct", "soil_bd_g_cm3")
# Floor of the simulated N2O before the log: the smallest annual N2O-N measured in the
# dose-response studies (0.003 kg N/ha/yr), so the simulated and measured logs share a range.
N2O_FLOOR_KG_N_HA = 0.003
# Random-search space of the GNN on these data (drawn like the baselines' spaces).
SEARCH_SPACE = {"hidden": (16, 32, 64), "n_layers": (1, 2), "lr": (1e-3, 3e-3, 1e-2),
                "dropout": (0.0, 0.1, 0.2)}


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


def simulated_examples(seasonal: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Simulated crop years in the same space, with log annual N2O-N (floored)."""
    ok = seasonal[seasonal["n2o_kg_n_ha_yr"].notna()]
    X = feature_frame(ok)[list(OBSERVED)].reset_index(drop=True)
    y = np.log(ok["n2o_kg_n_ha_yr"].to_numpy(dtype=float).clip(min=N2O_FLOOR_KG_N_HA))
    return X, y


def dose_graph(X_sim: pd.DataFrame, y_sim: np.ndarray,
               corr_threshold: float = 0.3) -> tuple[GraphSpec, list[str]]:
    """The N2O graph over :data:`OBSERVED` and the latent pathway nodes (simulation only)."""
    latent = latent_pathway_nodes("n2o", OBSERVED)
    spec = build_multigraph(with_latent(X_sim, latent), pd.DataFrame({"n2o": y_sim}),
                            [*OBSERVED, *latent], corr_threshold, universe=list(CANDIDATES))
    return spec, latent


def pretrain(X_sim: pd.DataFrame, y_sim: np.ndarray, spec: GraphSpec, latent: list[str],
             epochs: int, seed: int, **params) -> KGFGNNRegressor:
    """KG-FGNN fitted on the simulated crop years (the knowledge it brings to the field)."""
    model = KGFGNNRegressor(spec=spec, epochs=epochs, target_transform="identity",
                            random_state=seed, **params)
    return model.fit(with_latent(X_sim, latent), y_sim)


class DoseKGFGNN(RegressorMixin, BaseEstimator):
    """KG-FGNN on log N2O of field rows given in :data:`OBSERVED` (NaN allowed).

    With ``pretrained`` (a fitted :class:`KGFGNNRegressor` from :func:`pretrain`, held as a
    checkpoint-like copy), ``fit`` fine-tunes a copy of it for ``fine_tune_epochs`` at a third
    of its learning rate; without, it trains from scratch for ``epochs``.
    """

    def __init__(self, spec: GraphSpec | None = None, latent: tuple[str, ...] = (),
                 pretrained: KGFGNNRegressor | None = None, epochs: int = 150,
                 fine_tune_epochs: int = 100, hidden: int = 32, n_layers: int = 2,
                 lr: float = 3e-3, dropout: float = 0.1, patience: int = 15,
                 random_state: int = 0):
        self.spec = spec
        self.latent = latent
        self.pretrained = pretrained
        self.epochs = epochs
        self.fine_tune_epochs = fine_tune_epochs
        self.hidden = hidden
        self.n_layers = n_layers
        self.lr = lr
        self.dropout = dropout
        self.patience = patience
        self.random_state = random_state

    def _inputs(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in OBSERVED if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks column(s) {missing} of the simulation space")
        return with_latent(X[list(OBSERVED)].fillna(self.medians_), list(self.latent))

    def fit(self, X: pd.DataFrame, y):
        self.medians_ = X[list(OBSERVED)].median().fillna(0.0)
        y = np.asarray(y, dtype=float)
        if self.pretrained is not None:
            self.model_ = copy.deepcopy(self.pretrained)
            self.model_.random_state = self.random_state
            self.model_.fine_tune(self._inputs(X), y, epochs=self.fine_tune_epochs)
        else:
            if self.spec is None:
                raise ValueError("spec=None: a GraphSpec is required without a pretrained model")
            self.model_ = KGFGNNRegressor(
                spec=self.spec, epochs=self.epochs, hidden=self.hidden,
                n_layers=self.n_layers, lr=self.lr, dropout=self.dropout,
                patience=self.patience, target_transform="identity",
                random_state=self.random_state).fit(self._inputs(X), y)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict(self._inputs(X))).reshape(-1)


def tune_scratch(X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, spec: GraphSpec,
                 latent: list[str], epochs: int, seed: int, n_iter: int) -> DoseKGFGNN:
    """Real-only KG-FGNN: ``n_iter`` candidates of :data:`SEARCH_SPACE` scored on a 25 %
    hold-out of training studies, the best refitted on all training rows."""
    candidates = list(ParameterSampler({k: list(v) for k, v in SEARCH_SPACE.items()},
                                       n_iter=max(n_iter, 1), random_state=seed))
    best_params = candidates[0]
    if n_iter > 1 and len(np.unique(groups)) >= 4:
        fit, val = next(GroupShuffleSplit(1, test_size=0.25, random_state=seed)
                        .split(X, y, groups))
        best = np.inf
        for params in candidates:
            model = DoseKGFGNN(spec=spec, latent=tuple(latent), epochs=epochs,
                               random_state=seed, **params).fit(X.iloc[fit], y[fit])
            err = float(np.mean((model.predict(X.iloc[val]) - y[val]) ** 2))
            if err < best:
                best, best_params = err, params
    return DoseKGFGNN(spec=spec, latent=tuple(latent), epochs=epochs, random_state=seed,
                      **best_params).fit(X, y)
