"""Simulation-to-field transfer on real N2O measurements, with a site learning curve."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from kgfgnn.baselines import tune_baseline
from kgfgnn.evaluate import folds, metrics
from kgfgnn.graphs import GraphSpec, build_multigraph
from kgfgnn.realworld import OBSERVED, TARGET, latent_pathway_nodes, with_latent
from kgfgnn.scales import signed_expm1, signed_log1p
from kgfgnn.train import KGFGNNRegressor
from kgfgnn.variables import CANDIDATES


@dataclass
class TransferConfig:
    n_seeds: int = 1
    n_folds: int = 5
    epochs: int = 150
    fine_tune_epochs: int = 100
    patience: int = 15
    hidden: int = 32
    layer: str = "sage"
    search_iter: int = 4
    corr_threshold: float = 0.3
    curve_sites: tuple[int, ...] = (5, 10, 20, 40)
    baselines: tuple[str, ...] = ("hist_gradient_boosting", "random_forest")
    # simulated crop years the GNN is pretrained on: a seeded sample per seed (as in the
    # dose-response protocol), so pretraining costs the same at every simulation size
    max_pretrain: int = 3000


def real_graph(sim: pd.DataFrame, corr_threshold: float) -> tuple[GraphSpec, list[str]]:
    """The N2O graph over the observed variables plus the latent pathway nodes."""
    latent = latent_pathway_nodes("n2o")
    features = with_latent(sim[list(OBSERVED)], latent)
    spec = build_multigraph(features, sim[[TARGET]].set_axis(["n2o"], axis=1),
                            [*OBSERVED, *latent], corr_threshold, universe=list(CANDIDATES))
    return spec, latent


def simulation_knowledge_model(sim: pd.DataFrame, seed: int) -> HistGradientBoostingRegressor:
    """Conditional mean of the simulated flux given the observed variables (signed-log scale).

    Fitting on all simulated seasons averages the flux over everything the real data do not
    record: climate, soil texture and water, crop, weather year, splits, placement, tillage,
    residue and irrigation.
    """
    model = HistGradientBoostingRegressor(random_state=seed)
    return model.fit(sim[list(OBSERVED)], signed_log1p(sim[TARGET].to_numpy()))


def simulated_flux(model: HistGradientBoostingRegressor, X: pd.DataFrame) -> np.ndarray:
    return signed_expm1(model.predict(X[list(OBSERVED)]))


def _subsample_sites(train: np.ndarray, groups: np.ndarray, n_sites: int | None,
                     rng: np.random.Generator) -> np.ndarray:
    sites = np.unique(groups[train])
    if n_sites is None or n_sites >= len(sites):
        return train
    chosen = set(rng.choice(sites, size=n_sites, replace=False))
    return train[np.isin(groups[train], list(chosen))]


def run_transfer(real: pd.DataFrame, sim: pd.DataFrame, config: TransferConfig, seed: int,
                 log: Callable[[str], None] = print) -> tuple[pd.DataFrame, dict]:
    """Grouped CV by site of every approach at every learning-curve size.

    Returns one row per (seed, fold, n_sites, approach) and the models fitted on everything
    (for saving): ``{"spec", "latent", "pretrained"}``.
    """
    spec, latent = real_graph(sim, config.corr_threshold)
    X_real = with_latent(real[list(OBSERVED)], latent)
    y_real = real[TARGET].to_numpy()
    groups = real["group"].to_numpy()
    X_sim = with_latent(sim[list(OBSERVED)], latent)
    rows, predictions = [], []
    pretrained_last = None
    for s in range(config.n_seeds):
        run_seed = seed + s
        gnn_kw = {"spec": spec, "layer": config.layer, "hidden": config.hidden,
                  "patience": config.patience, "random_state": run_seed}
        pretrain_rows = (np.sort(np.random.default_rng(run_seed).choice(
            len(sim), config.max_pretrain, replace=False)) if len(sim) > config.max_pretrain
            else np.arange(len(sim)))
        pretrained = KGFGNNRegressor(epochs=config.epochs, **gnn_kw).fit(
            X_sim.iloc[pretrain_rows],
            sim[[TARGET]].set_axis(["n2o"], axis=1).iloc[pretrain_rows])
        pretrained_last = pretrained
        knowledge = simulation_knowledge_model(sim, run_seed)
        hybrid_X = np.column_stack([X_real[list(OBSERVED)].to_numpy(),
                                    simulated_flux(knowledge, real)])
        sizes = [*sorted(config.curve_sites), None]
        for k, (train_all, test) in enumerate(folds("grouped", config.n_folds, run_seed,
                                                    groups=groups)):
            rng = np.random.default_rng([run_seed, k])  # per fold: independent of fold order
            n_available = len(np.unique(groups[train_all]))
            for size in sizes:
                if size is not None and size >= n_available:
                    continue
                train = _subsample_sites(train_all, groups, size, rng)
                common = {"seed": run_seed, "fold": k,
                          "n_sites": size if size is not None else n_available,
                          "curve_point": "all" if size is None else str(size),
                          "n_train": len(train), "n_test": len(test)}
                yte = y_real[test]
                preds = {"simulation_only": pretrained.predict(X_real.iloc[test])}
                for name in config.baselines:
                    model, _ = tune_baseline(name, X_real.iloc[train][list(OBSERVED)].to_numpy(),
                                             y_real[train], run_seed, config.search_iter,
                                             groups=groups[train])
                    preds[f"real_only:{name}"] = model.predict(
                        X_real.iloc[test][list(OBSERVED)].to_numpy())
                    model, _ = tune_baseline(name, hybrid_X[train], y_real[train], run_seed,
                                             config.search_iter, groups=groups[train])
                    preds[f"hybrid:{name}"] = model.predict(hybrid_X[test])
                # early stopping on held-out training sites, as the baselines' search
                scratch = KGFGNNRegressor(epochs=config.epochs, **gnn_kw).fit(
                    X_real.iloc[train], y_real[train], groups=groups[train])
                preds["gnn_real_only"] = scratch.predict(X_real.iloc[test])
                tuned = copy.deepcopy(pretrained).fine_tune(
                    X_real.iloc[train], y_real[train], epochs=config.fine_tune_epochs,
                    groups=groups[train])
                preds["gnn_pretrained_finetuned"] = tuned.predict(X_real.iloc[test])
                for name, pred in preds.items():
                    rows.append({**common, "approach": name, **metrics(yte, pred)})
                    if size is None:
                        predictions.append(pd.DataFrame({
                            "seed": run_seed, "fold": k, "approach": name, "row": test,
                            "group": groups[test], "y": yte, "pred": pred}))
            log(f"seed {run_seed} fold {k + 1}/{config.n_folds} done")
    return pd.DataFrame(rows), {"spec": spec, "latent": latent, "pretrained": pretrained_last,
                                "predictions": pd.concat(predictions, ignore_index=True)}
