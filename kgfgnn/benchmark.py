"""The simulated-data benchmark: KG-FGNN, its ablations and tuned baselines on shared splits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kgfgnn.baselines import BASELINES, tune_baseline
from kgfgnn.evaluate import folds, metrics
from kgfgnn.graphs import DATA, KNOWLEDGE, build_multigraph
from kgfgnn.train import KGFGNNRegressor

ABLATIONS = ("no_autoencoder", "knowledge_only", "correlation_only", "shared_graph")
ALL_SUFFIX = ":all"


@dataclass
class BenchmarkConfig:
    """What to run; numbers documented in the profile files."""

    n_seeds: int = 1
    n_folds: int = 5
    splits: tuple[str, ...] = ("random", "leave_countries_out")
    layer: str = "sage"
    hidden: int = 32
    epochs: int = 150
    patience: int = 15
    search_iter: int = 4
    corr_threshold: float = 0.3
    ablations: bool = True
    baselines: tuple[str, ...] = BASELINES
    all_features_baselines: bool = True  # also give every baseline all candidate variables


def _gnn_variants(config: BenchmarkConfig, selected: list[str], candidates: list[str]):
    """name -> (nodes, graph-builder keyword arguments, restriction of the built spec)."""
    variants = {"kg_fgnn": (selected, {}, None)}
    if config.ablations:
        variants |= {
            "no_autoencoder": (candidates, {}, None),
            "knowledge_only": (selected, {"use_data": False}, None),
            "correlation_only": (selected, {"use_knowledge": False}, None),
            "shared_graph": (selected, {}, {"shared": True, "edge_types": (KNOWLEDGE, DATA)}),
        }
    return variants


def run_benchmark(features: pd.DataFrame, targets: pd.DataFrame, groups: np.ndarray,
                  selected: list[str], config: BenchmarkConfig, seed: int,
                  log: Callable[[str], None] = print) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics per (split, seed, fold, model, target), and the out-of-fold predictions.

    The graphs' data edges are rebuilt on each training fold, so no test target is seen.
    """
    rows, preds = [], []
    candidates = list(features.columns)
    variants = _gnn_variants(config, selected, candidates)
    for split in config.splits:
        for s in range(config.n_seeds):
            run_seed = seed + s
            for k, (train, test) in enumerate(folds(split, config.n_folds, run_seed,
                                                    groups=groups, n=len(features))):
                common = {"split": split, "seed": run_seed, "fold": k,
                          "n_train": len(train), "n_test": len(test)}
                Xtr, Xte = features.iloc[train], features.iloc[test]
                ytr, yte = targets.iloc[train], targets.iloc[test]
                for name, (nodes, build_kw, restrict) in variants.items():
                    start = time.perf_counter()
                    try:
                        spec = build_multigraph(Xtr, ytr, nodes, config.corr_threshold,
                                                **build_kw)
                    except ValueError as err:
                        log(f"{split} fold {k}: {name} not applicable: {err}")
                        continue
                    if restrict:
                        spec = spec.restricted(**restrict)
                    model = KGFGNNRegressor(spec=spec, layer=config.layer, hidden=config.hidden,
                                            epochs=config.epochs, patience=config.patience,
                                            random_state=run_seed).fit(Xtr, ytr)
                    pred = model.predict(Xte)
                    seconds = time.perf_counter() - start
                    for j, t in enumerate(targets.columns):
                        preds.append(pd.DataFrame({**common, "model": name, "target": t,
                                                   "row": test, "y": yte[t].to_numpy(),
                                                   "pred": pred[:, j]}))
                        rows.append({**common, "model": name, "family": "gnn", "target": t,
                                     "features": "all" if name == "no_autoencoder"
                                     else "selected",
                                     "fit_seconds": seconds,
                                     "epochs_run": int(model.history_.epoch.max()) + 1,
                                     **metrics(yte[t].to_numpy(), pred[:, j])})
                feature_sets = {"selected": selected}
                if config.all_features_baselines:
                    feature_sets["all"] = candidates
                for name in config.baselines:
                    for set_name, columns in feature_sets.items():
                        label = name if set_name == "selected" else f"{name}{ALL_SUFFIX}"
                        for t in targets.columns:
                            start = time.perf_counter()
                            model, _ = tune_baseline(name, Xtr[columns].to_numpy(),
                                                     ytr[t].to_numpy(), run_seed,
                                                     config.search_iter)
                            pred = model.predict(Xte[columns].to_numpy())
                            preds.append(pd.DataFrame({**common, "model": label, "target": t,
                                                       "row": test, "y": yte[t].to_numpy(),
                                                       "pred": pred}))
                            rows.append({**common, "model": label, "family": "baseline",
                                         "features": set_name, "target": t,
                                         "fit_seconds": time.perf_counter() - start,
                                         **metrics(yte[t].to_numpy(), pred)})
                log(f"{split} seed {run_seed} fold {k + 1}/{config.n_folds} done")
    return pd.DataFrame(rows), pd.concat(preds, ignore_index=True)


def best_baseline(summary: pd.DataFrame, target: str, split: str,
                  features: str = "selected") -> str:
    """The baseline with the lowest mean RMSE for one target, split and feature set."""
    sub = summary[(summary.family == "baseline") & (summary.target == target)
                  & (summary.split == split) & (summary.features == features)]
    return str(sub.sort_values("rmse_mean").iloc[0]["model"])
